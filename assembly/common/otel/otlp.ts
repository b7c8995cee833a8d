// OTLP trace messages in protobuf, as OTLP/HTTP sends them
// (ExportTraceServiceRequest, content-type application/x-protobuf).
// Encoded with protobuf.ts because no maintained protobuf library targets
// AssemblyScript (see there). Field numbers from opentelemetry-proto:
//
//   ExportTraceServiceRequest {ResourceSpans resource_spans = 1;}
//   ResourceSpans  {Resource resource = 1; ScopeSpans scope_spans = 2;}
//   ScopeSpans     {InstrumentationScope scope = 1; Span spans = 2;}
//   Resource       {KeyValue attributes = 1;}
//   InstrumentationScope {string name = 1; string version = 2;}
//   Span {bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//         bytes parent_span_id = 4; string name = 5; SpanKind kind = 6;
//         fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
//         KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
//         Link links = 13; uint32 dropped_links_count = 14;
//         Status status = 15; fixed32 flags = 16;}
//   Link {bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//         KeyValue attributes = 4; uint32 dropped_attributes_count = 5;
//         fixed32 flags = 6;}
//   Status {string message = 2; StatusCode code = 3;}
//   KeyValue {string key = 1; AnyValue value = 2;}
//   AnyValue {string string_value = 1; bool bool_value = 2;
//             int64 int_value = 3; double double_value = 4;}
//   ExportTraceServiceResponse {ExportTracePartialSuccess partial_success = 1;}
//   ExportTracePartialSuccess {int64 rejected_spans = 1; string error_message = 2;}
//
// Each span is encoded once, when it ends (the queue holds bytes, not
// objects); a request is the resource and scope, encoded once per
// configuration, around a batch of them.
import { ProtoReader, ProtoWriter, WireType } from "../protobuf";
import { TraceContext } from "../trace_context";
import { Attribute, Attributes, AttributeType, Span, StatusCode } from "./span";

// Span and link flags: bits 0-7 are the W3C trace flags; bit 8 says that
// bit 9 is known; bit 9 says the parent (of a span) or the linked context
// (of a link) is remote.
export const FLAGS_HAS_IS_REMOTE: u32 = 0x100;
export const FLAGS_IS_REMOTE: u32 = 0x200;

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return 0;
}

// A trace or span id field: its hex form (from a TraceContext, so valid
// lowercase hex) as raw bytes.
function writeId(p: ProtoWriter, field: u32, hex: string): void {
  if (hex.length == 0) return;
  const n = hex.length >> 1;
  p.tag(field, WireType.Len);
  p.w.uvarint(<u32>n);
  for (let i = 0; i < n; i++) {
    p.w.u8(<u8>((hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1))));
  }
}

function anyValue(a: Attribute): ProtoWriter {
  const v = new ProtoWriter(a.type == AttributeType.String ? a.text.length + 4 : 12);
  switch (a.type) {
    case AttributeType.String: v.string(1, a.text, true); break;
    case AttributeType.Bool: v.varint(2, a.int != 0 ? 1 : 0, true); break;
    case AttributeType.Int: v.varint(3, <u64>a.int, true); break;
    default: v.double(4, a.double);
  }
  return v;
}

export function writeAttributes(p: ProtoWriter, field: u32, attrs: Attributes): void {
  for (let i = 0; i < attrs.items.length; i++) {
    const a = unchecked(attrs.items[i]);
    const kv = new ProtoWriter(a.key.length + 32);
    kv.string(1, a.key, true);
    kv.message(2, anyValue(a));
    p.message(field, kv);
  }
}

function contextFlags(tc: TraceContext, remote: bool): u32 {
  return <u32>tc.flags | FLAGS_HAS_IS_REMOTE | (remote ? FLAGS_IS_REMOTE : 0);
}

// The Span message of an ended span.
export function encodeSpan(s: Span): Uint8Array {
  const p = new ProtoWriter(128 + s.name.length + 48 * s.attributes.length + 64 * s.links.length);
  const tc = s.context;
  writeId(p, 1, tc.traceId);
  writeId(p, 2, tc.spanId);
  p.string(3, tc.tracestate.toString());
  writeId(p, 4, s.parentSpanId);
  p.string(5, s.name, true);
  p.int32(6, <i32>s.kind);
  p.fixed64(7, s.startNanos);
  p.fixed64(8, s.endNanos);
  writeAttributes(p, 9, s.attributes);
  p.varint(10, s.attributes.dropped);
  for (let i = 0; i < s.links.length; i++) {
    const link = unchecked(s.links[i]);
    const l = new ProtoWriter(96);
    writeId(l, 1, link.context.traceId);
    writeId(l, 2, link.context.spanId);
    l.string(3, link.context.tracestate.toString());
    writeAttributes(l, 4, link.attributes);
    l.varint(5, link.attributes.dropped);
    l.fixed32(6, contextFlags(link.context, link.remote));
    p.message(13, l);
  }
  p.varint(14, s.droppedLinks);
  if (s.status != StatusCode.Unset) {
    const st = new ProtoWriter(16 + s.statusMessage.length);
    st.string(2, s.statusMessage);
    st.int32(3, <i32>s.status);
    p.message(15, st);
  }
  // A root span has no parent whose remoteness could be told.
  p.fixed32(16, s.parentSpanId.length > 0 ? contextFlags(tc, s.parentRemote) : <u32>tc.flags);
  return p.toBytes();
}

// The Resource message: service.name first, then the configured attributes.
export function encodeResource(serviceName: string, keys: string[], values: string[]): Uint8Array {
  const attrs = new Attributes();
  attrs.setString("service.name", serviceName);
  for (let i = 0; i < keys.length; i++) attrs.setString(keys[i], values[i]);
  const p = new ProtoWriter();
  writeAttributes(p, 1, attrs);
  return p.toBytes();
}

export function encodeScope(name: string, version: string): Uint8Array {
  const p = new ProtoWriter();
  p.string(1, name);
  p.string(2, version);
  return p.toBytes();
}

function varintSize(n: i32): i32 {
  let size = 1;
  for (let v = <u32>n; v >= 0x80; v >>>= 7) size++;
  return size;
}

// A length-delimited field with a one-byte tag (fields 1 to 15).
function fieldSize(payload: i32): i32 {
  return 1 + varintSize(payload) + payload;
}

// ExportTraceServiceRequest with one resource, one scope and these spans
// (Span messages from encodeSpan), written in one pass.
export function encodeExportRequest(resource: Uint8Array, scope: Uint8Array, spans: Uint8Array[]): Uint8Array {
  let scopeSpans = fieldSize(scope.length);
  for (let i = 0; i < spans.length; i++) scopeSpans += fieldSize(unchecked(spans[i]).length);
  const resourceSpans = fieldSize(resource.length) + fieldSize(scopeSpans);
  const p = new ProtoWriter(fieldSize(resourceSpans));
  p.tag(1, WireType.Len);
  p.w.uvarint(<u32>resourceSpans);
  p.bytes(1, resource);
  p.tag(2, WireType.Len);
  p.w.uvarint(<u32>scopeSpans);
  p.bytes(1, scope);
  for (let i = 0; i < spans.length; i++) p.bytes(2, unchecked(spans[i]));
  return p.toBytes();
}

// ExportTraceServiceResponse.partial_success.rejected_spans: 0 when the
// collector accepted everything (an empty body), -1 when the body does not
// parse.
export function rejectedSpans(body: Uint8Array): i64 {
  const r = ProtoReader.of(body);
  let rejected: i64 = 0;
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const ps = r.message();
      while (ps.next()) {
        if (ps.field == 1 && ps.wireType == WireType.Varint) rejected = ps.int64();
        else ps.skip();
      }
      if (!ps.ok) return -1;
    } else {
      r.skip();
    }
  }
  return r.ok ? rejected : -1;
}
