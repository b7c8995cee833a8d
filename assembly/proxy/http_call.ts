// Outgoing HTTP calls. The response arrives in onHttpCallResponse of the
// context that made the call; read it there with httpCallResponseHeaders,
// httpCallResponseBody and httpCallResponseTrailers.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";
import { beginReentrantCall, endReentrantCall, noteHttpCallout } from "./registry";
export { CallResult } from "./hostcalls";

// headers must include :method, :path and :authority; an unknown cluster is
// BadArgument. On Ok, result.token identifies the call in the callback.
export function httpCall(cluster: string, headers: HeaderPair[], body: ArrayBuffer | null = null,
  trailers: HeaderPair[] = [], timeoutMs: u32 = 5000): host.CallResult {
  const caller = beginReentrantCall();
  const r = host.httpCall(cluster, headers, body, trailers, timeoutMs);
  endReentrantCall(caller);
  if (r.status == WasmResult.Ok) noteHttpCallout(r.token, caller);
  return r;
}

// Status of the finished call, valid inside onHttpCallResponse / onGrpcClose.
export function getCallStatus(): host.StatusResult {
  return host.getStatus();
}
