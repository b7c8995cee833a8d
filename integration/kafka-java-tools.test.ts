// Kafka's own Java tools (console producer/consumer, producer perf) through
// the Envoy Kafka sidecar.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { kafkaTool } from "./stack/index.ts";

const sidecar = inject("kafkaSidecar");

describe("Kafka Java tools through the Envoy Kafka sidecar", () => {
  it("console producer and consumer round-trip keyed messages", async () => {
    const topic = `java-console-${randomBytes(4).toString("hex")}`;
    const lines = Array.from({ length: 100 }, (_, i) => `k${i}\tv${i}-${randomBytes(6).toString("hex")}`);
    await kafkaTool(
      "org.apache.kafka.tools.ConsoleProducer",
      ["--bootstrap-server", sidecar, "--topic", topic, "--producer-property", "acks=all", "--property", "parse.key=true", "--property", "key.separator=\t"],
      { input: lines.join("\n") + "\n" },
    );
    const { stdout } = await kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", [
      "--bootstrap-server", sidecar, "--topic", topic, "--from-beginning", "--max-messages", String(lines.length),
      "--property", "print.key=true", "--property", "key.separator=\t", "--timeout-ms", "60000",
    ]);
    expect(stdout.trimEnd().split("\n")).toEqual(lines);
  });

  it("producer perf tool sends 20,000 records", async () => {
    const topic = `java-perf-${randomBytes(4).toString("hex")}`;
    const { stdout } = await kafkaTool("org.apache.kafka.tools.ProducerPerformance", [
      "--topic", topic, "--num-records", "20000", "--record-size", "200", "--throughput", "-1",
      "--producer-props", `bootstrap.servers=${sidecar}`, "acks=all", "linger.ms=5",
    ]);
    expect(stdout).toMatch(/^20000 records sent/m);
  });
});
