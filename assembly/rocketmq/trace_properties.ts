// W3C trace context in RocketMQ message properties: "traceparent" and
// "tracestate", the user properties the OpenTelemetry RocketMQ
// instrumentations read and write. Properties that carry a traceparent are
// left as they are (their context is reported); others get the proxy's.
//
// A send request carries its message's properties in the header
// (SEND_MESSAGE "properties", SEND_MESSAGE_V2 "i"); a batch send
// (SEND_BATCH_MESSAGE, or the V2 header's batch flag) carries each
// message's own properties in the body, which is what consumers see.
// Pulled messages come back in a pull response body (stored_messages.ts).
import { TraceContext } from "../common/trace_context";
import { ContextTally, TRACEPARENT, TRACESTATE } from "../common/otel/carried";
import { RemotingCommand } from "./command";
import { decodeBatch, encodeBatch } from "./batch";
import { parseProperties, withProperty } from "./properties";
import { readStoredMessages } from "./stored_messages";
import { V2_PROPERTIES, readSendMessage } from "./send_message";

// The context in a properties string; null when it has no valid traceparent.
export function readTraceProperties(properties: string): TraceContext | null {
  const p = parseProperties(properties);
  const tp = p.get(TRACEPARENT);
  if (tp === null) return null;
  const ts = p.get(TRACESTATE);
  return TraceContext.parse(tp, ts === null ? "" : ts);
}

// `properties` with ctx's traceparent (and tracestate, when it has one and
// the properties have none) appended, or null when the properties already
// carry a traceparent (noted on `tally`).
export function injectTraceProperties(properties: string, ctx: TraceContext, tally: ContextTally): string | null {
  const p = parseProperties(properties);
  const tp = p.get(TRACEPARENT);
  if (tp !== null) {
    const ts = p.get(TRACESTATE);
    tally.noteCarrying(TraceContext.parse(tp, ts === null ? "" : ts));
    return null;
  }
  tally.injected++;
  let out = withProperty(properties, TRACEPARENT, ctx.toTraceparent());
  const state = ctx.tracestate.toString();
  if (state.length > 0 && p.get(TRACESTATE) === null) out = withProperty(out, TRACESTATE, state);
  return out;
}

export class SendTraceInjection extends ContextTally {
  // True when the command was changed (re-encode it before forwarding).
  changed: bool = false;
  // Why nothing could be done: not a send request, or a batch body that
  // does not decode or would outgrow a message's properties length.
  error: string | null = null;
}

// Injects ctx into a send request: the header's properties, or every
// message of a batch body.
export function injectSendTrace(cmd: RemotingCommand, ctx: TraceContext): SendTraceInjection {
  const out = new SendTraceInjection();
  const info = readSendMessage(cmd);
  if (info === null) {
    out.error = "not a send request";
    return out;
  }
  if (!info.batch) {
    const props = injectTraceProperties(info.properties, ctx, out);
    if (props === null) return out;
    cmd.extFields.set(info.shortNames ? V2_PROPERTIES : "properties", props!);
    out.changed = true;
    return out;
  }
  const batch = decodeBatch(cmd.body);
  if (!batch.ok) {
    out.error = batch.error;
    return out;
  }
  for (let i = 0; i < batch.messages.length; i++) {
    const m = unchecked(batch.messages[i]);
    const props = injectTraceProperties(m.properties, ctx, out);
    if (props !== null) m.properties = props;
  }
  if (out.injected == 0) return out;
  const body = encodeBatch(batch.messages);
  if (body === null) {
    const failed = new SendTraceInjection();
    failed.error = "properties too long for a batch message";
    return failed;
  }
  cmd.body = body;
  out.changed = true;
  return out;
}

// The contexts the messages of a pull response body carry (to link the
// proxy's receive span to); `carrying` counts messages with a valid one.
// Reading stops at the first message that does not parse.
export function pulledTraceContexts(body: Uint8Array): ContextTally {
  const out = new ContextTally();
  const stored = readStoredMessages(body);
  for (let i = 0; i < stored.messages.length; i++) {
    const tc = readTraceProperties(unchecked(stored.messages[i]).properties);
    if (tc !== null) out.noteCarrying(tc);
  }
  return out;
}
