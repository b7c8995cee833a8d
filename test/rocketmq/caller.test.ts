// Who a RocketMQ request says it comes from (assembly/rocketmq/caller.ts), on
// requests real clients signed: mqadmin with credentials in its tools.yml
// (remoting "AccessKey" field) and rocketmq-client-nodejs with session
// credentials (gRPC "authorization" metadata), recorded by
// scripts/record-rocketmq-authorization.ts; expected values are read from
// the recorded headers and bodies here, not by the code under test.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { AdminRecording } from "../../scripts/record-rocketmq-authorization.ts";
import type { GrpcRecording } from "../../scripts/record-rocketmq-grpc.ts";
import { loadRecording } from "../support/recordings.ts";
import { exchanges, loadAuthorization, type AuthorizationFixture } from "./authorization.ts";

let m: AuthorizationFixture;
beforeAll(async () => {
  m = await loadAuthorization();
}, 600_000);

const admin = loadRecording<AdminRecording>("rocketmq", "admin");
const all = exchanges(admin.steps.flatMap((s) => s.connections));
const caller = (frame: Uint8Array) => JSON.parse(m.remotingCaller(frame)) as { accessKey: string; clientId: string; group: string };

describe("the caller of remoting requests", () => {
  it("is the AccessKey a signing client puts in every request, and none for the others", () => {
    const signed = all.filter((e) => e.ext.some(([k]) => k === "Signature"));
    expect(signed.length).toBeGreaterThan(20);
    for (const e of all) {
      const expected = signed.includes(e) ? admin.truth.accessKey : "";
      expect(caller(e.frame).accessKey, `${e.code}`).toBe(expected);
    }
  });

  it("names the client id of heartbeats and unregisters, and the group of sends and consumer requests", () => {
    const ext = (e: (typeof all)[0], k: string) => e.ext.find(([key]) => key === k)?.[1];
    const checked = new Set<number>();
    for (const e of all) {
      const c = caller(e.frame);
      if (e.code === 34) expect(c.clientId).toBe(JSON.parse(e.body.toString()).clientID);
      else if (e.code === 35) expect(c.clientId).toBe(ext(e, "clientID"));
      else if (e.code === 310) expect(c.group).toBe(ext(e, "a"));
      else if ([11, 14, 15, 38, 361].includes(e.code)) expect(c.group).toBe(ext(e, "consumerGroup"));
      else continue;
      checked.add(e.code);
    }
    expect([...checked].sort((a, b) => a - b)).toEqual(expect.arrayContaining([14, 15, 34, 35, 310, 361]));
  });
});

describe("the caller of gRPC requests", () => {
  it("is the Credential of the authorization metadata a signing client sends", () => {
    const rec: GrpcRecording = JSON.parse(readFileSync(new URL("../recordings/rocketmq-grpc/signed.json", import.meta.url), "utf8"));
    expect(rec.calls.length).toBeGreaterThan(2);
    for (const call of rec.calls) {
      const authorization = call.requestHeaders.find(([k]) => k === "authorization")![1];
      expect(m.grpcAccessKey(authorization), call.path).toBe("RecorderAccessKey");
    }
  });

  it("is read as RocketMQ's proxy reads it", () => {
    expect(m.grpcAccessKey("MQv2-HMAC-SHA1 Credential=ak/2026/cn, SignedHeaders=x-mq-date-time, Signature=ab")).toBe("ak");
    expect(m.grpcAccessKey("MQv2-HMAC-SHA1 SignedHeaders=x, Credential = ak")).toBe("");
    expect(m.grpcAccessKey("MQv2-HMAC-SHA1  Credential=ak")).toBe("ak");
    expect(m.grpcAccessKey("Credential=ak")).toBe("");
    expect(m.grpcAccessKey("")).toBe("");
  });
});
