// Jaeger as the kit starts it (built from the Go module proxy, traces in
// memory): spans exported by the real OpenTelemetry JS SDK over OTLP/HTTP
// come back from Jaeger's query API as one trace, parent and child, with
// their attributes.
import { randomUUID } from "node:crypto";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jaegerQuery, spanTag, startJaeger, type Jaeger, type JaegerQuery } from "./stack/jaeger.ts";

describe("Jaeger from the kit", () => {
  let jaeger: Jaeger;
  let query: JaegerQuery;

  beforeAll(async () => {
    jaeger = await startJaeger();
    query = jaegerQuery(jaeger.queryUrl);
  }, 60 * 60_000); // the first use builds Jaeger (many minutes on a small machine)
  afterAll(async () => jaeger?.stop());

  it("stores an OTLP/HTTP trace from the OpenTelemetry SDK and returns it from the query API", async () => {
    const service = `mqmesh-test-${randomUUID().slice(0, 8)}`;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": service, "deployment.environment": "test" }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://${jaeger.otlpHttpAddress}/v1/traces` }))],
    });
    const tracer = provider.getTracer("mqmesh-kit-test");
    const parent = tracer.startSpan("publish orders", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST" } });
    const child = tracer.startSpan(
      "send orders",
      { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.batch.message_count": 3 } },
      trace.setSpan(context.active(), parent),
    );
    child.end();
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();

    const traceId = parent.spanContext().traceId;
    await expect.poll(() => query.services(), { timeout: 30_000, interval: 250 }).toContain(service);
    const traces = await query.traces({ service });
    expect(traces.map((t) => t.traceID)).toEqual([traceId]);
    const [found] = traces;
    const byName = new Map(found.spans.map((s) => [s.operationName, s]));
    const send = byName.get("send orders")!;
    const publish = byName.get("publish orders")!;
    expect(found.spans).toHaveLength(2);
    expect(publish.spanID).toBe(parent.spanContext().spanId);
    expect(send.spanID).toBe(child.spanContext().spanId);
    expect(send.references).toEqual([{ refType: "CHILD_OF", traceID: traceId, spanID: publish.spanID }]);
    expect(spanTag(send, "messaging.system")).toBe("kafka");
    expect(spanTag(send, "messaging.destination.name")).toBe("orders");
    expect(spanTag(send, "messaging.batch.message_count")).toBe(3);
    expect(spanTag(send, "span.kind")).toBe("producer");
    expect(found.processes[send.processID].serviceName).toBe(service);
    expect(found.processes[send.processID].tags).toContainEqual({ key: "deployment.environment", type: "string", value: "test" });
    expect(await query.operations(service)).toEqual(expect.arrayContaining(["publish orders", "send orders"]));
    expect((await query.trace(traceId))?.spans).toHaveLength(2);
    // A tag query finds the trace by the child's attribute.
    expect((await query.traces({ service, tags: { "messaging.destination.name": "orders" } })).map((t) => t.traceID)).toEqual([traceId]);
  });

  it("serves its UI page at uiUrl", async () => {
    const res = await fetch(jaeger.uiUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });
});
