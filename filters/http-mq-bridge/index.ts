// The http-mq-bridge filter: one module, two roots (README.md, "Mechanism").
//   root_id "kafka_tunnel"  network filter on the internal listener
//   any other root_id       HTTP filter on the app-facing listener
import { RootContext, registerRootContext } from "../../assembly/proxy";
import { BridgeRoot } from "./root";
import { TunnelRoot } from "./tunnel_connection";
export * from "../../assembly/proxy/exports";

registerRootContext((id: u32): RootContext => new TunnelRoot(id), "kafka_tunnel");
registerRootContext((id: u32): RootContext => new BridgeRoot(id));
