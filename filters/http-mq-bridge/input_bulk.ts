// Dapr's bulk publish (README.md, "Dapr bulk publish"):
//   POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic}[?metadata.<k>=<v>...]
//   [{"entryId", "event", "contentType"?, "metadata"?}, ...]  -> one record per entry
// Answer: 204 when every entry is stored, else 500
//   {"failedEntries":[{"entryId","error"}],"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}
// naming the failed entries (all of them when the publish failed as a whole).
import { JsonValue } from "../../assembly/common/json";
import { BULK_PREFIX, failedEntriesBody, parseBulk } from "./bulk";
import { uuid4 } from "./ids";
import { DaprPathInput, daprAnswer, jsonHeaders, published } from "./input";
import { Publish } from "./publish";
import { Answer, Cause, Failure, OutboundRecord } from "./record";
import { envelopeView, rawView } from "./routing";

export class BulkInput extends DaprPathInput {
  constructor() {
    super("bulk", BULK_PREFIX);
  }

  parse(p: Publish, body: Uint8Array): Answer | null {
    const b = parseBulk(body, this.rawPayload, p.metadata, this.envelope(p), uuid4);
    if (b.error != null) return daprAnswer(b.error!);
    // The request's partitionKey is the key of entries that name none.
    for (let i = 0; i < b.records.length; i++) {
      if (b.records[i].key != null) continue;
      b.records[i].key = this.key;
      b.records[i].keyField = "metadata.partitionKey";
    }
    p.records = b.records;
    return null;
  }

  eventView(p: Publish, r: OutboundRecord): JsonValue | null {
    return this.rawPayload ? rawView(r) : envelopeView(r);
  }

  // A broker failure fails every entry.
  failed(p: Publish, f: Failure): Answer {
    if (f.cause != Cause.Broker || p.records.length == 0) return super.failed(p, f);
    const ids = new Array<string>(0);
    const errors = new Array<string>(0);
    for (let i = 0; i < p.records.length; i++) {
      ids.push(p.records[i].id);
      errors.push("pubsub " + p.pubsubName + ": " + f.message);
    }
    return new Answer(f.status, failedEntriesBody(f.status == 404 ? "ERR_TOPIC_NOT_FOUND" : "ERR_PUBSUB_PUBLISH_MESSAGE", ids, errors), jsonHeaders(f.headers), "mqmesh_bulk_failed");
  }

  succeeded(p: Publish): Answer {
    const ids = new Array<string>(0);
    const errors = new Array<string>(0);
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      if (r.stored) continue;
      ids.push(r.id);
      errors.push("pubsub " + p.pubsubName + ": " + r.outcome!.message);
    }
    if (ids.length == 0) return published(204, "", []);
    return new Answer(500, failedEntriesBody("ERR_PUBSUB_PUBLISH_MESSAGE", ids, errors), jsonHeaders([]), "mqmesh_err_pubsub_publish_message");
  }
}
