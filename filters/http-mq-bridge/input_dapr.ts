// Dapr's publish API (README.md, "Dapr publish API"):
//   POST /v1.0/publish/{pubsub}/{topic}[?metadata.<k>=<v>...]  -> one record
// The body wrapped in Dapr's CloudEvent envelope, or as it is with
// metadata.rawPayload=true; metadata.partitionKey is the key. Answer: 204.
import { JsonValue } from "../../assembly/common/json";
import { PUBLISH_PREFIX, wrapCloudEvent } from "./dapr";
import { uuid4 } from "./ids";
import { DaprPathInput, daprAnswer } from "./input";
import { Publish } from "./publish";
import { Answer, OutboundRecord } from "./record";
import { envelopeView, rawView } from "./routing";

export class DaprInput extends DaprPathInput {
  constructor() {
    super("dapr", PUBLISH_PREFIX);
  }

  parse(p: Publish, body: Uint8Array): Answer | null {
    const r = new OutboundRecord();
    r.key = this.key;
    r.keyField = "metadata.partitionKey";
    r.metadata = p.metadata;
    if (this.rawPayload) {
      r.value = body;
    } else {
      const e = this.envelope(p);
      e.id = uuid4();
      e.contentType = this.contentType;
      const env = wrapCloudEvent(body, e);
      if (env.error != null) return daprAnswer(env.error!);
      r.value = env.value;
    }
    p.records = [r];
    return null;
  }

  // The envelope as sent, or with rawPayload only the data.
  eventView(p: Publish, r: OutboundRecord): JsonValue | null {
    return this.rawPayload ? rawView(r) : envelopeView(r);
  }
}
