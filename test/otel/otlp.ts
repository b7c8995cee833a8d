// Reads what the tracing code exports with OpenTelemetry's own protobuf
// definitions (opentelemetry-proto, as generated for
// @opentelemetry/otlp-transformer), never with our encoder's assumptions.
import { createRequire } from "node:module";
import type { PendingHttpCall } from "../host/imports/calls.ts";
import type { ProxyHost } from "../host/index.ts";

const require = createRequire(import.meta.url);
const proto = require("@opentelemetry/otlp-transformer/build/src/generated/root").opentelemetry.proto;
const Request = proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = proto.collector.trace.v1.ExportTraceServiceResponse;

export type AttrValue = string | number | boolean | bigint;

export interface ExportedLink {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
}

export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: string;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Record<string, AttrValue>;
  droppedAttributes: number;
  links: ExportedLink[];
  droppedLinks: number;
  status: { code: string; message: string } | undefined;
  flags: number;
}

export interface ExportRequest {
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
  spans: ExportedSpan[];
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "");

function value(v: any): AttrValue {
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return BigInt(v.intValue.toString());
  if (v.doubleValue != null) return v.doubleValue;
  throw new Error(`unexpected AnyValue ${JSON.stringify(v)}`);
}

function attributes(kvs: any[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

/** Decodes one export body; every span of every resource and scope, in order. */
export function decodeExport(body: Uint8Array): ExportRequest[] {
  const msg = Request.toObject(Request.decode(body), { longs: String, enums: String });
  return (msg.resourceSpans ?? []).flatMap((rs: any) =>
    (rs.scopeSpans ?? []).map((ss: any) => ({
      resource: attributes(rs.resource?.attributes),
      scope: { name: ss.scope?.name ?? "", version: ss.scope?.version ?? "" },
      spans: (ss.spans ?? []).map((s: any): ExportedSpan => ({
        traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), traceState: s.traceState ?? "",
        name: s.name, kind: s.kind, startNanos: BigInt(s.startTimeUnixNano), endNanos: BigInt(s.endTimeUnixNano),
        attributes: attributes(s.attributes), droppedAttributes: s.droppedAttributesCount ?? 0,
        links: (s.links ?? []).map((l: any) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: l.traceState ?? "", flags: l.flags ?? 0 })),
        droppedLinks: s.droppedLinksCount ?? 0,
        status: s.status ? { code: s.status.code ?? "STATUS_CODE_UNSET", message: s.status.message ?? "" } : undefined,
        flags: s.flags ?? 0,
      })),
    })),
  );
}

/** All spans of a pending export call. */
export function spansOf(call: PendingHttpCall): ExportedSpan[] {
  return decodeExport(call.body).flatMap((r) => r.spans);
}

/** An OTLP/HTTP success body that reports `rejected` spans as refused. */
export function partialSuccess(rejected: number): Uint8Array {
  return Response.encode(Response.fromObject({ partialSuccess: { rejectedSpans: rejected, errorMessage: "too old" } })).finish();
}

/** A counter's value, 0 while the module has not defined it. */
export function counter(host: ProxyHost, name: string): bigint {
  return host.metrics.has("counter", name) ? host.metrics.lookup("counter", name).value : 0n;
}

/** Every span exported so far to `cluster`, after `advanceMs` of host time (the exporter sends on its interval); each export is answered 200. */
export function exportedSpans(host: ProxyHost, cluster: string, advanceMs = 1000): ExportedSpan[] {
  host.advanceTime(advanceMs);
  const calls = host.httpCalls.filter((c) => c.cluster === cluster);
  const spans = calls.flatMap((c) => spansOf(c));
  for (const c of calls) host.respondToHttpCall(c.token);
  return spans;
}
