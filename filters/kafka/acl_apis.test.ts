// No API walks around the Kafka ACL. The APIs and versions come from a real
// broker's ApiVersions answer (recorded, test/recordings/kafka/api_versions.json),
// not from a list here; requests are built by the independent encoder
// (test/kafka/wire.ts) from Kafka's own schemas and sent through the filter
// (.wasm, host emulator) with rules that deny every topic, group,
// transactional id and the cluster. Each request must be refused (answered
// by the filter with authorization errors), cut down to nothing the rules
// deny, or closed as unknown; only the APIs the README lists as never
// refused may pass as they are.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { ApiVersionsRecording } from "../../scripts/record-kafka.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { chunksOf, joined, loadRecording } from "../../test/support/recordings.ts";
import {
  SCHEMAS, type Value, apiOfKey, decodeRequestFrame, decodeResponseFrame, fill, isFlexible, randomStruct, requestFrame, responseFrame, rngFrom,
} from "../../test/kafka/wire.ts";
import { loadCodec, type KafkaCodec } from "../../test/kafka/module.ts";
import type { SchemaField } from "../../test/kafka/schema.gen.ts";

let wasm: string;
let codec: KafkaCodec;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
  codec = await loadCodec();
}, 120_000);

const recording = loadRecording<ApiVersionsRecording>("kafka", "api_versions");
const chunks = chunksOf(recording.connections[0]);
const request0 = decodeRequestFrame(new Uint8Array(joined(chunks, "request")));
const served = decodeResponseFrame("ApiVersions", request0.apiVersion, new Uint8Array(joined(chunks, "response"))).body.ApiKeys as
  { ApiKey: number; MinVersion: number; MaxVersion: number }[];

// Kafka's authorization error codes: topic, group, cluster, transactional id.
const AUTHORIZATION_ERRORS = new Set([29, 30, 31, 53]);
// Never refused (README, "What each API needs"): a client must be able to
// connect and log in before it can be told "denied".
const NEVER_REFUSED = new Set(["ApiVersions", "SaslHandshake", "SaslAuthenticate", "GetTelemetrySubscriptions", "PushTelemetry", "DescribeCluster", "ListTransactions"]);

const DENY_EVERYTHING = {
  acl: { rules: [{ action: "deny", topics: ["*"], groups: ["*"], transactionalIds: ["*"], cluster: true }] },
};

interface Ref { type: string; name: string; field: string; removable: boolean; pattern: boolean }
const refsOf = (frame: Uint8Array): Ref[] => JSON.parse(codec.scanResources(frame, "")).refs ?? [];
// What a broker would authorize: not patterns, not forgotten topics, not the
// all-zero id an entry named by name carries beside its name, not an empty
// topic name (no topic has one).
const accessed = (r: Ref) =>
  !r.pattern && !r.field.startsWith("ForgottenTopicsData") && r.name !== "0".repeat(32) && !(r.type === "Topic" && r.name === "");

// A request of the API and version that names at least one resource, when
// its schema lets it name any (a few seeds are tried).
function requestNamingSomething(api: string, v: number, correlationId: number): Uint8Array {
  const m = SCHEMAS[api][api + "Request"];
  let frame: Uint8Array = new Uint8Array(0);
  for (let seed = 0; seed < 40; seed++) {
    const rng = rngFrom(m.apiKey * 7919 + v * 31 + seed);
    frame = requestFrame(api, v, randomStruct(m.fields, v, isFlexible(m, v), rng), correlationId, "acl-apis");
    if (refsOf(frame).some(accessed)) return frame;
  }
  return frame;
}

function framesOf(stream: Uint8Array): Buffer[] {
  const b = Buffer.from(stream);
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= b.length; pos += 4 + b.readInt32BE(pos)) out.push(b.subarray(pos, pos + 4 + b.readInt32BE(pos)));
  return out;
}

// Every ErrorCode in a decoded response.
function errorCodes(fields: SchemaField[], val: Value): number[] {
  const out: number[] = [];
  for (const f of fields) {
    const x = val[f.name];
    if (x == null) continue;
    if (f.fields) for (const e of Array.isArray(x) ? x : [x]) out.push(...errorCodes(f.fields, e as Value));
    else if (/ErrorCode$/.test(f.name)) out.push(x as number);
  }
  return out;
}

const apiVersionsAnswer = (correlationId: number) =>
  responseFrame("ApiVersions", 0, fill(SCHEMAS.ApiVersions.ApiVersionsResponse.fields, 0, { ErrorCode: 0, ApiKeys: [] }), correlationId);

describe("every API and version the broker serves, with everything denied", () => {
  it("the recording lists the APIs of a real broker", () => {
    expect(served.length).toBeGreaterThan(50);
  });

  for (const s of served) {
    const api = apiOfKey(s.ApiKey) ?? `api key ${s.ApiKey}`;
    it(`${api} v${s.MinVersion}-${s.MaxVersion}: refused, cut to nothing denied, or closed as unknown`, async () => {
      expect(SCHEMAS[api], `${api} has a schema`).toBeDefined();
      const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(DENY_EVERYTHING) });
      const responseFields = SCHEMAS[api][api + "Response"].fields;
      for (let v = s.MinVersion; v <= s.MaxVersion; v++) {
        const where = `${api} v${v}`;
        const conn = host.newConnection();
        const sent = requestNamingSomething(api, v, 100 + v);
        conn.callOnDownstreamData(sent);
        if (conn.closed) {
          // Only what the filter cannot read: Produce v0-2, which Kafka 4 lists but rejects.
          expect(codec.codecVersions(s.ApiKey).split(",").map(Number)[0], where).toBeGreaterThan(v);
          expect(host.getCounter(`mqmesh_kafka_acl_unjudged_requests_total;api=${api};reason=unknown_version`), where).toBeGreaterThan(0);
          continue;
        }
        const [forwarded] = framesOf(conn.forwardedUpstream);
        expect(forwarded, where).toBeDefined();
        if (Buffer.from(sent).equals(forwarded)) {
          const names = refsOf(sent).filter(accessed);
          // Passing unchanged is fine only where nothing can be refused, or nothing is named.
          if (!NEVER_REFUSED.has(api)) expect(names, `${where} passed with resources`).toEqual([]);
          continue;
        }
        const head = decodeRequestFrame(forwarded);
        let answerFrame: Buffer;
        if (head.apiKey === 18 && s.ApiKey !== 18) {
          // Refused whole: the broker gets the ApiVersions stand-in.
          expect(head.correlationId, where).toBe(100 + v);
          conn.callOnUpstreamData(apiVersionsAnswer(100 + v));
          [answerFrame] = framesOf(conn.forwardedDownstream);
        } else {
          // Cut: what went on names nothing the rules deny.
          expect(head.apiKey, where).toBe(s.ApiKey);
          expect(refsOf(forwarded).filter(accessed), where).toEqual([]);
          conn.callOnUpstreamData(responseFrame(api, v, fill(responseFields, v, {}), 100 + v));
          [answerFrame] = framesOf(conn.forwardedDownstream);
        }
        const answer = decodeResponseFrame(api, v, answerFrame);
        expect(answer.correlationId, where).toBe(100 + v);
        // An entry with no error field of its own (a topic of no
        // partitions) has nowhere to carry the code, as from a broker.
        const codes = errorCodes(responseFields, answer.body);
        for (const c of codes) expect(AUTHORIZATION_ERRORS.has(c) || c === 0, `${where} code ${c}`).toBe(true);
        if (codes.length > 0) expect(codes.some((c) => AUTHORIZATION_ERRORS.has(c)), `${where} answers with an authorization error`).toBe(true);
      }
      expect(host.failed).toBeUndefined();
    });
  }
});
