// A network (L4) filter context: one per downstream connection, covering
// both directions.
import { FilterStatus, PeerType, StreamType, WasmResult } from "./types";
import * as host from "./hostcalls";
import { BaseContext } from "./context";
import { RootContext } from "./root_context";

export class StreamContext extends BaseContext {
  readonly root: RootContext;

  constructor(id: u32, root: RootContext) {
    super(id);
    this.root = root;
  }

  onNewConnection(): FilterStatus {
    return FilterStatus.Continue;
  }

  // dataSize is everything the host holds: while paused it keeps growing.
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return FilterStatus.Continue;
  }

  // Envoy cannot resume a paused upstream direction (continue_stream(UPSTREAM)
  // is unimplemented), so prefer never to pause here.
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return FilterStatus.Continue;
  }

  onDownstreamClose(peer: PeerType): void {}

  onUpstreamClose(peer: PeerType): void {}

  // Resumes a paused downstream; Envoy defers it until the callback returns.
  continueDownstream(): WasmResult {
    this.setEffectiveContext();
    return host.continueStream(StreamType.Downstream);
  }

  closeDownstream(): WasmResult {
    this.setEffectiveContext();
    return host.closeStream(StreamType.Downstream);
  }

  closeUpstream(): WasmResult {
    this.setEffectiveContext();
    return host.closeStream(StreamType.Upstream);
  }
}
