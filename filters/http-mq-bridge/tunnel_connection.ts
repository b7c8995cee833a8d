// One connection on the internal listener: HTTP/1.1 from the bridge's
// proxy_http_call in, Kafka to the broker (through tcp_proxy) out. Never
// pauses: each callback replaces Envoy's buffer with what may go now.
import { FilterStatus, HostBuffer, RootContext, StreamContext, downstreamData, log, upstreamData } from "../../assembly/proxy";
import { KafkaTunnel, TunnelAction } from "./tunnel";

export class TunnelRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new TunnelConnection(id, this);
  }
}

export class TunnelConnection extends StreamContext {
  private readonly tunnel: KafkaTunnel = new KafkaTunnel();
  private closing: bool = false;

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(downstreamData, dataSize, true);
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(upstreamData, dataSize, false);
  }

  private pump(buffer: HostBuffer, size: u32, request: bool): FilterStatus {
    if (this.closing) {
      if (size > 0) buffer.replacePrefix(size, new ArrayBuffer(0));
      return FilterStatus.Continue;
    }
    if (size == 0) return FilterStatus.Continue;
    const bytes = buffer.get(0, size);
    if (bytes == null) return FilterStatus.Continue;
    const chunk = Uint8Array.wrap(bytes);
    const action = request ? this.tunnel.pushRequest(chunk) : this.tunnel.pushResponse(chunk);
    const out = this.tunnel.output;
    buffer.replacePrefix(size, out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
    if (action == TunnelAction.Close) {
      this.closing = true;
      log.warn("http-mq-bridge tunnel: closing the connection: " + this.tunnel.error);
      this.closeDownstream();
    }
    return FilterStatus.Continue;
  }
}
