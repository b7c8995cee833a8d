// kcat (librdkafka) through the Envoy Kafka sidecar.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { kcat } from "./stack/index.ts";

const sidecar = inject("kafkaSidecar");

describe("kcat through the Envoy Kafka sidecar", () => {
  it("sees the sidecar as the only broker in Metadata", async () => {
    const { stdout } = await kcat(["-b", sidecar, "-L", "-J", "-m", "10"]);
    const md = JSON.parse(stdout) as { brokers: { id: number; name: string }[] };
    expect(md.brokers.map((b) => b.name)).toEqual([sidecar]);
  });

  it("produces and consumes keyed messages exactly", async () => {
    const topic = `kcat-${randomBytes(4).toString("hex")}`;
    const lines = Array.from({ length: 200 }, (_, i) => `k${i}:v${i}-${randomBytes(6).toString("hex")}`);
    // -P producer, -K: key delimiter, topic auto-created by the broker.
    await kcat(["-b", sidecar, "-P", "-t", topic, "-K", ":", "-X", "topic.request.required.acks=-1", "-m", "30"], { input: lines.join("\n") + "\n" });
    const { stdout } = await kcat(["-b", sidecar, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k:%s\\n", "-m", "30"]);
    expect(stdout.trimEnd().split("\n")).toEqual(lines);
  });
});
