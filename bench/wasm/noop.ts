// A Wasm network filter that does nothing: every read is answered Continue
// without looking at a byte. In bench:kafka it measures what any proxy-wasm
// network filter costs Envoy (the VM calls per read), the floor under what
// the kafka filter itself adds.
import { RootContext, StreamContext, registerRootContext } from "../../assembly/proxy";
export * from "../../assembly/proxy/exports";

class NoopRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new StreamContext(id, this);
  }
}

registerRootContext((id: u32): RootContext => new NoopRoot(id));
