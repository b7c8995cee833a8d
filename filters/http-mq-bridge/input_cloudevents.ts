// CloudEvents 1.0 over HTTP (README.md, "CloudEvents over HTTP"):
//   POST /v1.0/cloudevents/{pubsub}/{topic}[?metadata.<k>=<v>...]
// The Content-Type picks the mode: binary (ce-* headers, the body is the
// data), structured (application/cloudevents+json) or batch
// (application/cloudevents-batch+json). One record per event, the event's
// attributes with it (cloudevents.ts). Answer: 204, or for a batch
// 200 {"results": [...]} in event order.
import { HeaderPair, requestHeaders } from "../../assembly/proxy";
import { JsonValue } from "../../assembly/common/json";
import { CLOUDEVENTS_PREFIX, CeMode, EventResult, batchEvents, batchResultsBody, binaryEvent, ceMode, structuredEvent } from "./cloudevents";
import { DaprPathInput, daprAnswer, jsonHeaders, published } from "./input";
import { Publish } from "./publish";
import { Answer, OutboundRecord } from "./record";
import { cloudEventView } from "./routing";

export class CloudEventsInput extends DaprPathInput {
  private mode: CeMode = CeMode.Binary;
  // Binary mode: the request headers, where the attributes are.
  private pairs: HeaderPair[] = [];

  constructor() {
    super("cloudevents", CLOUDEVENTS_PREFIX);
  }

  readHeaders(p: Publish, path: string): Answer | null {
    const refused = super.readHeaders(p, path);
    if (refused != null) return refused;
    this.mode = ceMode(this.contentType);
    if (this.mode == CeMode.Binary) this.pairs = requestHeaders.pairs();
    return null;
  }

  parse(p: Publish, body: Uint8Array): Answer | null {
    const ce = this.mode == CeMode.Binary ? binaryEvent(this.pairs, body) : this.mode == CeMode.Structured ? structuredEvent(body) : batchEvents(body);
    if (ce.error != null) return daprAnswer(ce.error!);
    for (let i = 0; i < ce.records.length; i++) ce.records[i].metadata = p.metadata;
    p.records = ce.records;
    return null;
  }

  eventView(p: Publish, r: OutboundRecord): JsonValue | null {
    return cloudEventView(r);
  }

  succeeded(p: Publish): Answer {
    if (this.mode != CeMode.Batch) return published(204, "", []);
    const out = new Array<EventResult>(0);
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      const e = new EventResult();
      e.id = r.id;
      e.partition = r.partition;
      if (r.stored) {
        e.messageId = r.messageId;
        e.offset = r.offset;
      } else {
        e.status = r.outcome!.status;
        e.error = r.outcome!.message;
      }
      out.push(e);
    }
    return published(200, batchResultsBody(out), jsonHeaders([]));
  }
}
