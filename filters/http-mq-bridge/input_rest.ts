// The Kafka REST-style API (README.md, "Kafka REST-style API"), on the
// pubsub that "rest" names:
//   POST /topics/{topic}[/partitions/{p}]   {"records": [...]}  -> one record each
// Answer: 200 {"key_schema_id":null,"value_schema_id":null,"offsets":[...]}
// in record order; errors {"error_code": n, "message": "..."}.
import { HeaderPair, requestHeaders } from "../../assembly/proxy";
import { InputAdapter, published } from "./input";
import { Publish } from "./publish";
import { Answer, Cause, Failure } from "./record";
import { OffsetEntry, RestError, embeddedFormat, offsetsBody, parseRestBody, parseRestPath } from "./rest";

const CONTENT_TYPE = "application/vnd.kafka.v2+json";

export class RestInput extends InputAdapter {
  private format: i32 = 0;
  // From the path; -1: per record.
  private partition: i32 = -1;

  constructor() {
    super("rest");
  }

  route(path: string): string {
    return path.indexOf("/partitions/") > 0 ? "/topics/{topic}/partitions/{partition}" : "/topics/{topic}";
  }

  readHeaders(p: Publish, path: string): Answer | null {
    const method = requestHeaders.get(":method");
    if (method == null || method != "POST") return restAnswer(new RestError(405, 405, "produce needs POST"), [new HeaderPair("allow", "POST")]);
    const rp = parseRestPath(path);
    if (rp.error != null) return restAnswer(rp.error!);
    const ct = requestHeaders.get("content-type");
    const format = embeddedFormat(ct == null ? "" : ct);
    if (format < 0) return restAnswer(new RestError(415, 415, "content-type: use application/vnd.kafka.json.v2+json or application/vnd.kafka.binary.v2+json"));
    p.pubsub = p.root.config.pubsub(p.root.config.restPubsub);
    p.topic = rp.topic;
    this.partition = rp.partition;
    this.format = format;
    return null;
  }

  parse(p: Publish, body: Uint8Array): Answer | null {
    const parsed = parseRestBody(body, this.format, this.partition);
    if (parsed.error != null) return restAnswer(parsed.error!);
    p.records = parsed.records;
    return null;
  }

  failed(p: Publish, f: Failure): Answer {
    let code: i32;
    if (f.cause == Cause.PartitionNotFound) code = 40402;
    else if (f.cause == Cause.Malformed) code = 400;
    else if (f.cause == Cause.RateLimited) code = 429;
    else code = f.status == 503 ? 50301 : f.status == 404 ? 40403 : f.status == 413 ? 41301 : 50002;
    return restAnswer(new RestError(f.status, code, f.message), f.headers);
  }

  // Partitions that failed answer their records with an error code.
  succeeded(p: Publish): Answer {
    const entries = new Array<OffsetEntry>(0);
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      const e = new OffsetEntry();
      e.partition = r.partition;
      if (r.stored) e.offset = r.offset;
      else {
        const status = r.outcome!.status;
        e.errorCode = status == 503 ? 50003 : status == 404 ? 40403 : 50002;
        e.error = r.outcome!.message;
      }
      entries.push(e);
    }
    return published(200, offsetsBody(entries), [new HeaderPair("content-type", CONTENT_TYPE)]);
  }
}

function restAnswer(e: RestError, extra: HeaderPair[] = []): Answer {
  const headers = [new HeaderPair("content-type", CONTENT_TYPE)];
  for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  return new Answer(e.status, e.body(), headers, "mqmesh_rest_" + e.code.toString());
}
