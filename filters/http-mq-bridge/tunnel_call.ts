// The HTTP side of the Kafka tunnel (tunnel.ts): one Kafka request frame out
// through proxy_http_call, one Kafka response frame back. Used for every
// request the bridge sends a broker (Metadata from a publish, Produce and
// InitProducerId from the producer).
import { HeaderPair, WasmResult, httpCall, httpCallResponseBody, httpCallResponseHeaders, log } from "../../assembly/proxy";
import { TUNNEL_CONTENT_TYPE, TUNNEL_HEADER } from "./tunnel";

// The call's token, or 0 when Envoy refused it (an unknown cluster).
export function callTunnel(cluster: string, frame: Uint8Array, timeoutMs: u32): u32 {
  const headers = [
    new HeaderPair(":method", "POST"),
    new HeaderPair(":path", "/kafka"),
    new HeaderPair(":authority", cluster),
    new HeaderPair("content-type", TUNNEL_CONTENT_TYPE),
  ];
  const body = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length);
  const r = httpCall(cluster, headers, body, [], timeoutMs);
  if (r.status != WasmResult.Ok) {
    log.error("http-mq-bridge: proxy_http_call to cluster " + cluster + " failed: " + (<i32>r.status).toString());
    return 0;
  }
  return r.token;
}

// What came back, read in onHttpCallResponse: the broker's frame, or why
// there is none (`problem` for the app, `code` for the broker-errors metric).
export class TunnelAnswer {
  frame: Uint8Array = new Uint8Array(0);
  problem: string = "";
  code: string = "";

  get ok(): bool {
    return this.problem.length == 0;
  }
}

export function tunnelAnswer(numHeaders: u32, bodySize: u32): TunnelAnswer {
  const out = new TunnelAnswer();
  if (numHeaders == 0) {
    out.problem = "the broker did not answer in time or the connection failed";
    out.code = "no_answer";
    return out;
  }
  const status = httpCallResponseHeaders.get(":status");
  if (status == null || status != "200" || httpCallResponseHeaders.get(TUNNEL_HEADER) == null) {
    out.problem = "the broker could not be reached (" + (status == null ? "no status" : status!) + " from the tunnel)";
    out.code = "unreachable";
    return out;
  }
  const data = httpCallResponseBody.get(0, bodySize);
  if (data != null) out.frame = Uint8Array.wrap(data!);
  return out;
}
