// The rocketmq network filter: RocketMQ remoting protocol awareness for
// Envoy. See README.md.
import { RootContext, registerRootContext } from "../../assembly/proxy";
import { RocketMQRoot } from "./root";
export * from "../../assembly/proxy/exports";

registerRootContext((id: u32): RootContext => new RocketMQRoot(id));
