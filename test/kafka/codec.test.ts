// Every API and version: frames from the independent TS encoder (wire.ts)
// decode to the values they were built from and re-encode byte for byte.
import { beforeAll, describe, expect, it } from "vitest";
import { SCHEMAS, decodeRequestFrame, decodeResponseFrame, requestFrame, responseFrame, randomStruct, expectedJson, rngFrom, versionsOf, isFlexible } from "./wire.ts";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

const SAMPLES = 12;

for (const api of Object.keys(SCHEMAS)) {
  describe(api, () => {
    const req = SCHEMAS[api][api + "Request"];
    const resp = SCHEMAS[api][api + "Response"];
    for (const v of versionsOf(api, "Request")) {
      it(`request v${v} decodes to its values and re-encodes exactly`, () => {
        const rng = rngFrom(req.apiKey * 1000 + v + 1);
        for (let i = 0; i < SAMPLES; i++) {
          const flex = isFlexible(req, v);
          const body = randomStruct(req.fields, v, flex, rng);
          const clientId = i % 4 === 3 ? null : "mqmesh-test";
          const frame = requestFrame(api, v, body, 1000 + i, clientId);
          const out = codec.roundTripRequest(frame);
          expect(codec.lastDecodeError()).toBe("");
          expect(hex(out)).toBe(hex(frame));
          const d = JSON.parse(codec.describeRequest(frame));
          expect(d.header).toEqual({ apiKey: req.apiKey, apiVersion: v, correlationId: 1000 + i, clientId });
          expect(d.body).toEqual(expectedJson(req.fields, body, v));
          // the test decoder (used on what the codec writes) reads the test encoder's frames back
          expect(decodeRequestFrame(frame)).toEqual({ apiKey: req.apiKey, apiVersion: v, correlationId: 1000 + i, clientId, body });
        }
      });
    }
    for (const v of versionsOf(api, "Response")) {
      it(`response v${v} decodes to its values and re-encodes exactly`, () => {
        const rng = rngFrom(resp.apiKey * 1000 + v + 7);
        for (let i = 0; i < SAMPLES; i++) {
          const body = randomStruct(resp.fields, v, isFlexible(resp, v), rng);
          const frame = responseFrame(api, v, body, 77 + i);
          const out = codec.roundTripResponse(resp.apiKey, v, frame);
          expect(codec.lastDecodeError()).toBe("");
          expect(hex(out)).toBe(hex(frame));
          const d = JSON.parse(codec.describeResponse(resp.apiKey, v, frame));
          expect(d.correlationId).toBe(77 + i);
          expect(d.body).toEqual(expectedJson(resp.fields, body, v));
          expect(decodeResponseFrame(api, v, frame)).toEqual({ correlationId: 77 + i, body });
        }
      });
    }
  });
}
