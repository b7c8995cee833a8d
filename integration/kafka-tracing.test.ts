// The kafka filter's tracing in real Envoy against the shared broker, with
// Jaeger from the kit as the collector (cluster mqmesh_otlp). An app traced
// by the OpenTelemetry JS SDK and its kafkajs instrumentation produces
// through the sidecar: the sidecar's send span joins the app's trace under
// the app's span, and its receive span is in the same trace, linked to it. kcat, which traces
// nothing, produces through the sidecar: its records come back with the
// traceparent the sidecar added, kafkajs and Kafka's Java console consumer
// read them unchanged, and Jaeger has that send span.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { KafkaJsInstrumentation } from "@opentelemetry/instrumentation-kafkajs";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceClusters } from "../policy/envoy/resources.ts";
import { freePort, kafkaTool, kcat, kafkaWasmPath, startKafkaSidecar, type Sidecar } from "./stack/index.ts";
import { jaegerQuery, spanTag, startJaeger, type Jaeger, type JaegerQuery, type JaegerSpan, type JaegerTrace } from "./stack/jaeger.ts";

const bootstrap = inject("kafkaBootstrap");
const tag = randomBytes(3).toString("hex");
const SIDECAR_SERVICE = `mqmesh-kafka-${tag}`;
const APP_SERVICE = `orders-app-${tag}`;

let jaeger: Jaeger;
let query: JaegerQuery;
let sidecar: Sidecar;
let provider: NodeTracerProvider;
// kafkajs as the app loads it: required after the instrumentation is registered, so it is patched.
let Kafka: typeof import("kafkajs").Kafka;
let logLevel: typeof import("kafkajs").logLevel;

beforeAll(async () => {
  const [host, port] = bootstrap.split(",")[0].split(":");
  const md = JSON.parse((await kcat(["-b", bootstrap, "-L", "-J", "-m", "10"])).stdout) as { brokers: { id: number }[] };
  const listenPort = await freePort();
  jaeger = await startJaeger({ name: "jaeger-kafka" });
  query = jaegerQuery(jaeger.queryUrl);
  sidecar = await startKafkaSidecar({
    name: "envoy-kafka-tracing",
    listenPort,
    upstream: { host, port: Number(port) },
    wasm: await kafkaWasmPath(),
    filterConfig: {
      brokerAddresses: Object.fromEntries(md.brokers.map((b) => [String(b.id), `127.0.0.1:${listenPort}`])),
      tracing: {
        inject: "sampled", sampling: 1, serviceName: SIDECAR_SERVICE, exportIntervalMs: 200,
        collector: { cluster: "mqmesh_otlp", authority: jaeger.otlpHttpAddress },
      },
    },
    extraClusters: serviceClusters({ collector: jaeger.otlpHttpAddress }),
  });
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": APP_SERVICE }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://${jaeger.otlpHttpAddress}/v1/traces` }))],
  });
  provider.register();
  registerInstrumentations({ instrumentations: [new KafkaJsInstrumentation()], tracerProvider: provider });
  ({ Kafka, logLevel } = createRequire(import.meta.url)("kafkajs"));
}, 10 * 60_000);

afterAll(async () => {
  await provider?.shutdown();
  await sidecar?.stop();
  await jaeger?.stop();
});

const references = (s: JaegerSpan) => s.references.map((r) => ({ refType: r.refType, traceID: r.traceID, spanID: r.spanID }));

/** The sidecar's spans of one operation, as soon as Jaeger has them. */
async function sidecarSpans(operation: string, count = 1): Promise<JaegerSpan[]> {
  let spans: JaegerSpan[] = [];
  await expect.poll(async () => {
    spans = (await query.traces({ service: SIDECAR_SERVICE, operation })).flatMap((t) => t.spans.filter((s) => s.operationName === operation));
    return spans.length;
  }, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(count);
  return spans;
}

describe("kafka tracing through the sidecar", () => {
  it("an app traced with OpenTelemetry: one trace holds its span, the sidecar's send span as its child and the receive span linked to it", async () => {
    const topic = `traced-${tag}`;
    const kafka = new Kafka({ clientId: "orders-app", brokers: [sidecar.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "order 1" }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${tag}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { traceparent?: string; value: string }[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push({ traceparent: message.headers?.traceparent?.toString(), value: message.value!.toString() }) });
    await expect.poll(() => got.length, { timeout: 30_000 }).toBe(1);
    await consumer.disconnect();
    await provider.forceFlush();

    // The record carries the app's context (the instrumentation's producer span), untouched by the sidecar.
    const [, appTrace, appSpan] = got[0].traceparent!.split("-");
    expect(got[0].value).toBe("order 1");
    // The app's trace, once both the app's span and the sidecar's are in (each process exports on its own).
    const serviceOf = (t: JaegerTrace, s: JaegerSpan) => t.processes[s.processID].serviceName;
    let trace: JaegerTrace | undefined;
    await expect.poll(async () => {
      trace = await query.trace(appTrace);
      return trace ? trace.spans.map((s) => `${serviceOf(trace!, s)} ${s.operationName}`).sort() : [];
    }, { timeout: 30_000, interval: 250 }).toEqual(expect.arrayContaining([`${APP_SERVICE} send ${topic}`, `${SIDECAR_SERVICE} send ${topic}`]));
    const app = trace!.spans.find((s) => s.spanID === appSpan)!;
    expect(serviceOf(trace!, app)).toBe(APP_SERVICE);
    // The sidecar's receive span joins the same trace (its records all carry it): pick the send span by name.
    const send = trace!.spans.find((s) => serviceOf(trace!, s) === SIDECAR_SERVICE && s.operationName === `send ${topic}`)!;
    expect(references(send)).toEqual([{ refType: "CHILD_OF", traceID: appTrace, spanID: appSpan }]);
    expect(Object.fromEntries(["messaging.system", "messaging.operation.type", "messaging.destination.name", "messaging.destination.partition.id", "messaging.batch.message_count", "server.address", "span.kind"].map((k) => [k, spanTag(send, k)])))
      .toEqual({
        "messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": topic,
        "messaging.destination.partition.id": "0", "messaging.batch.message_count": 1, "server.address": host(), "span.kind": "client",
      });
    expect(spanTag(send, "error.type")).toBeUndefined();

    const link = { refType: "FOLLOWS_FROM", traceID: appTrace, spanID: appSpan };
    let receive: JaegerSpan | undefined;
    await expect.poll(async () => {
      receive = (await sidecarSpans(`receive ${topic}`)).find((s) => references(s).some((r) => r.spanID === appSpan));
      return receive && references(receive);
    }, { timeout: 30_000, interval: 250 }).toContainEqual(link);
    if (!receive) throw new Error("no receive span");
    expect(receive.traceID).toBe(appTrace);
    expect(spanTag(receive, "messaging.operation.type")).toBe("receive");
    expect(spanTag(receive, "messaging.batch.message_count")).toBe(1);
  });

  it("kcat's records get a traceparent the sidecar added; the broker takes them, consumers read them unchanged, Jaeger has the send span", async () => {
    const topic = `untraced-${tag}`;
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}-${randomBytes(4).toString("hex")}`);
    await kcat(["-b", sidecar.address, "-P", "-t", topic, "-K", ":", "-H", "app=kcat", "-X", "topic.request.required.acks=-1", "-z", "none", "-m", "30"], { input: lines.join("\n") + "\n" });
    // Read directly from the broker: what the broker stored.
    const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k:%s|%h\\n", "-m", "30"]);
    const records = stdout.trimEnd().split("\n").map((l) => {
      const [kv, headers] = l.split("|");
      return { kv, headers: Object.fromEntries(headers.split(",").map((h) => h.split("=") as [string, string])) };
    });
    expect(records.map((r) => r.kv)).toEqual(lines);
    for (const r of records) expect(Object.keys(r.headers)).toEqual(["app", "traceparent", "tracestate"]);
    expect(records.every((r) => r.headers.app === "kcat")).toBe(true);
    const contexts = new Set(records.map((r) => r.headers.traceparent));
    // kcat sends a few produce requests at most; each gets its span and context.
    for (const tp of contexts) expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);

    // kafkajs reads every record as kcat sent it, plus the headers.
    const kafka = new Kafka({ clientId: "reader", brokers: [sidecar.address], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `r-${tag}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const read: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void read.push(`${message.key}:${message.value}`) });
    await expect.poll(() => read.length, { timeout: 30_000 }).toBe(lines.length);
    await consumer.disconnect();
    expect(read).toEqual(lines);
    // So does Kafka's Java console consumer, headers included.
    const java = await kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", [
      "--bootstrap-server", sidecar.address, "--topic", topic, "--from-beginning", "--max-messages", String(lines.length),
      "--property", "print.headers=true", "--property", "print.key=true", "--property", "key.separator=|", "--timeout-ms", "60000",
    ]);
    expect(java.stdout.trimEnd().split("\n").map((l) => {
      const [headers, key, value] = l.split("|");
      return [`${key}:${value}`, headers.split(",")[1]];
    })).toEqual(records.map((r) => [r.kv, `traceparent:${r.headers.traceparent}`]));

    const sends = await sidecarSpans(`send ${topic}`, contexts.size);
    for (const tp of contexts) {
      const [, traceId, spanId] = tp.split("-");
      const span = sends.find((s) => s.spanID === spanId)!;
      expect(span.traceID).toBe(traceId);
      expect(span.references).toEqual([]);
      expect(spanTag(span, "span.kind")).toBe("producer");
      expect(spanTag(span, "messaging.destination.name")).toBe(topic);
    }
    expect(sends.reduce((n, s) => n + Number(spanTag(s, "messaging.batch.message_count")), 0)).toBe(lines.length);
  });
});

function host(): string {
  return bootstrap.split(",")[0].split(":")[0];
}
