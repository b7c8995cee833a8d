// The codec covers what a real broker serves: the APIs and versions come
// from the ApiVersions v3 answer of a Kafka 4.1.1 broker
// (test/recordings/kafka/api_versions.json, scripts/record-kafka.ts), read
// with the independent decoder of wire.ts, not from a list here. Each API
// round-trips requests and responses built by the independent encoder at
// its oldest and newest served version.
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiVersionsRecording } from "../../scripts/record-kafka.ts";
import { chunksOf, joined, loadRecording } from "../support/recordings.ts";
import {
  SCHEMAS, apiOfKey, decodeRequestFrame, decodeResponseFrame, isFlexible, randomStruct, requestFrame, responseFrame, rngFrom,
} from "./wire.ts";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

const recording = loadRecording<ApiVersionsRecording>("kafka", "api_versions");
const chunks = chunksOf(recording.connections[0]);
const requestBytes = new Uint8Array(joined(chunks, "request"));
const responseBytes = new Uint8Array(joined(chunks, "response"));
const request = decodeRequestFrame(requestBytes);
const response = decodeResponseFrame("ApiVersions", request.apiVersion, responseBytes);
interface Served { ApiKey: number; MinVersion: number; MaxVersion: number }
const served = response.body.ApiKeys as Served[];

describe("the recorded ApiVersions exchange", () => {
  it("is a v3 request with a real client id and the broker's full answer", () => {
    expect(recording.recordedWith.kafka).toBe("4.1.1");
    expect(request).toMatchObject({ apiKey: 18, apiVersion: 3, clientId: "mqmesh-recorder" });
    expect(response.correlationId).toBe(request.correlationId);
    expect(response.body.ErrorCode).toBe(0);
    expect(served.length).toBeGreaterThan(50);
  });

  it("round-trips through the codec byte for byte", () => {
    expect(hex(codec.roundTripRequest(requestBytes))).toBe(hex(requestBytes));
    expect(hex(codec.roundTripResponse(18, 3, responseBytes))).toBe(hex(responseBytes));
  });

  // Kafka 4 dropped Produce v0-2 but still lists them, for old librdkafka
  // clients, and rejects them when sent (ProduceRequest.json says so): the
  // only versions a broker lists that no codec here decodes.
  it("lists versions below the codec's only for Produce 0-2, which it rejects", () => {
    const below = served.filter((s) => s.MinVersion < Number(codec.codecVersions(s.ApiKey).split(",")[0]));
    expect(below.map((s) => [apiOfKey(s.ApiKey), s.MinVersion])).toEqual([["Produce", 0]]);
    expect(codec.codecVersions(0)).toBe("3,13");
    for (const v of [0, 1, 2]) {
      codec.roundTripRequest(requestFrame("Produce", 3, { TransactionalId: null, Acks: 1, TimeoutMs: 1, TopicData: [] }, 1, "c").map((b, i) => (i === 7 ? v : b)));
      expect(codec.lastDecodeError(), `Produce v${v}`).toBe("no codec");
    }
  });
});

describe("every API the broker serves", () => {
  for (const s of served) {
    const api = apiOfKey(s.ApiKey) ?? `api key ${s.ApiKey}`;
    it(`${api} v${s.MinVersion}-${s.MaxVersion}: the codec covers it, requests and responses round-trip`, () => {
      expect(SCHEMAS[api], `${api} has a schema`).toBeDefined();
      const [lo, hi] = codec.codecVersions(s.ApiKey).split(",").map(Number);
      const oldest = Math.max(s.MinVersion, lo);
      expect(hi, api).toBeGreaterThanOrEqual(s.MaxVersion);
      expect(oldest, api).toBeLessThanOrEqual(s.MaxVersion);
      const req = SCHEMAS[api][api + "Request"];
      const resp = SCHEMAS[api][api + "Response"];
      for (const v of new Set([oldest, s.MaxVersion])) {
        const rng = rngFrom(s.ApiKey * 101 + v);
        for (let i = 0; i < 6; i++) {
          const reqFrame = requestFrame(api, v, randomStruct(req.fields, v, isFlexible(req, v), rng), 40 + i, "mqmesh-test");
          expect(hex(codec.roundTripRequest(reqFrame)), `${api} v${v} request`).toBe(hex(reqFrame));
          const respFrame = responseFrame(api, v, randomStruct(resp.fields, v, isFlexible(resp, v), rng), 40 + i);
          expect(hex(codec.roundTripResponse(s.ApiKey, v, respFrame)), `${api} v${v} response`).toBe(hex(respFrame));
        }
      }
    });
  }
});
