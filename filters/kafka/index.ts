// The kafka network filter: Kafka protocol awareness for Envoy. See README.md.
import { RootContext, registerRootContext } from "../../assembly/proxy";
import { KafkaRoot } from "./root";
export * from "../../assembly/proxy/exports";

registerRootContext((id: u32): RootContext => new KafkaRoot(id));
