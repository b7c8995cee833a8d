// W3C trace context on RocketMQ 5 gRPC messages. Field numbers from
// rocketmq-apis definition.proto / service.proto:
//   Message {Resource topic = 1; map<string, string> user_properties = 2;
//            SystemProperties system_properties = 3; bytes body = 4;}
//   map entry {string key = 1; string value = 2;}
//   SystemProperties {... optional string trace_context = 18; ...}
//   SendMessageRequest {repeated Message messages = 1;}
//
// The OpenTelemetry RocketMQ 5 instrumentation carries "traceparent" and
// "tracestate" in user_properties (the message's properties map); the proxy
// stores those as message properties, so remoting consumers see them too.
// system_properties.trace_context (stored by the proxy as TRACE_CONTEXT)
// is also read, when it holds a traceparent. A message that carries either
// is left as it is; others get the proxy's context appended as
// user_properties entries (map entries may come in any order), every other
// byte unchanged.
import { FieldRewriter, ProtoReader, ProtoWriter, WireType, rewriteAt } from "../../common/protobuf";
import { TraceContext, parseTraceparent } from "../../common/trace_context";
import { ContextTally, TRACEPARENT, TRACESTATE } from "../../common/otel/carried";

class TraceFields {
  traceparent: string | null = null;
  tracestate: string | null = null;
  systemContext: string | null = null;
}

function readEntry(r: ProtoReader, f: TraceFields): void {
  let key = "";
  let value = "";
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) key = r.string();
    else if (r.field == 2 && r.wireType == WireType.Len) value = r.string();
    else r.skip();
  }
  if (key == TRACEPARENT) f.traceparent = value;
  else if (key == TRACESTATE) f.tracestate = value;
}

// The trace fields of a Message; null when it does not parse.
function readFields(msg: Uint8Array): TraceFields | null {
  const f = new TraceFields();
  const r = ProtoReader.of(msg);
  while (r.next()) {
    if (r.field == 2 && r.wireType == WireType.Len) {
      const e = r.message();
      readEntry(e, f);
      if (!e.ok) return null;
    } else if (r.field == 3 && r.wireType == WireType.Len) {
      const sp = r.message();
      while (sp.next()) {
        if (sp.field == 18 && sp.wireType == WireType.Len) f.systemContext = sp.string();
        else sp.skip();
      }
      if (!sp.ok) return null;
    } else {
      r.skip();
    }
  }
  return r.ok ? f : null;
}

// The context a message carries (user_properties first), or null.
function carried(f: TraceFields): TraceContext | null {
  if (f.traceparent !== null) return TraceContext.parse(f.traceparent!, f.tracestate === null ? "" : f.tracestate!);
  if (f.systemContext !== null) return parseTraceparent(f.systemContext!);
  return null;
}

// The context of a Message (a received one, to link to); null when it
// carries none or does not parse.
export function readMessageTrace(msg: Uint8Array): TraceContext | null {
  const f = readFields(msg);
  return f === null ? null : carried(f);
}

// The context of the message a ReceiveMessageResponse stream message
// delivers ({Status status = 1; Message message = 2; ...}); null for the
// status and timestamp messages, or a message without context.
export function receivedMessageTrace(response: Uint8Array): TraceContext | null {
  const r = ProtoReader.of(response);
  while (r.next()) {
    if (r.field == 2 && r.wireType == WireType.Len) return readMessageTrace(r.bytes());
    r.skip();
  }
  return null;
}

function entry(key: string, value: string): ProtoWriter {
  const e = new ProtoWriter(key.length + value.length + 4);
  e.string(1, key, true);
  e.string(2, value, true);
  return e;
}

// The Message with ctx added to user_properties, or null when it already
// carries a context (noted on `tally`) or does not parse.
export function injectMessageTrace(msg: Uint8Array, ctx: TraceContext, tally: ContextTally): Uint8Array | null {
  const f = readFields(msg);
  if (f === null) return null;
  const existing = carried(f);
  if (f.traceparent !== null || existing !== null) {
    tally.noteCarrying(existing);
    return null;
  }
  tally.injected++;
  const w = new ProtoWriter(msg.length + 128);
  w.raw(msg);
  w.message(2, entry(TRACEPARENT, ctx.toTraceparent()));
  const state = ctx.tracestate.toString();
  if (state.length > 0 && f.tracestate === null) w.message(2, entry(TRACESTATE, state));
  return w.toBytes();
}

class MessageInjector extends FieldRewriter {
  constructor(private ctx: TraceContext, private tally: ContextTally) {
    super();
  }

  rewrite(payload: Uint8Array): Uint8Array | null {
    return injectMessageTrace(payload, this.ctx, this.tally);
  }
}

export class GrpcTraceInjection extends ContextTally {
  // The rewritten SendMessageRequest; null when nothing changed (forward
  // the original): every message carried a context, or it did not parse.
  request: Uint8Array | null = null;
  error: string | null = null;
}

// Injects ctx into every message of a SendMessageRequest that carries no
// context of its own.
export function injectSendRequestTrace(request: Uint8Array, ctx: TraceContext): GrpcTraceInjection {
  const out = new GrpcTraceInjection();
  const rewritten = rewriteAt(request, [1], new MessageInjector(ctx, out));
  // Messages were rewritten but the request as a whole did not parse.
  if (rewritten === null && out.injected > 0) {
    const failed = new GrpcTraceInjection();
    failed.error = "SendMessageRequest does not parse";
    return failed;
  }
  out.request = rewritten;
  return out;
}
