// What injecting trace context into a set of messages found: how many got
// the proxy's context, how many already carried one, and the distinct
// valid contexts they carry (to parent or link the proxy's span). Shared
// by the Kafka record and RocketMQ property injectors.
import { TraceContext } from "../trace_context";

// Distinct carried contexts kept per call (a span keeps 128 links).
export const MAX_CARRIED_CONTEXTS: i32 = 128;

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

export class ContextTally {
  // Messages that got the proxy's traceparent.
  injected: i32 = 0;
  // Messages that already had a traceparent (valid or not); left as they were.
  carrying: i32 = 0;
  // The distinct valid contexts those carry, in message order.
  carried: TraceContext[] = [];

  // A message that already carries a traceparent; tc is its context, null
  // when the value does not parse.
  noteCarrying(tc: TraceContext | null): void {
    this.carrying++;
    if (tc === null || this.carried.length >= MAX_CARRIED_CONTEXTS) return;
    for (let i = 0; i < this.carried.length; i++) {
      const seen = unchecked(this.carried[i]);
      if (seen.spanId == tc.spanId && seen.traceId == tc.traceId) return;
    }
    this.carried.push(tc);
  }

  // The first carried context: the natural parent of the proxy's span.
  get parent(): TraceContext | null {
    return this.carried.length > 0 ? unchecked(this.carried[0]) : null;
  }
}
