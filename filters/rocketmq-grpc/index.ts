// The rocketmq-grpc HTTP filter: RocketMQ 5 gRPC (apache.rocketmq.v2.MessagingService)
// awareness for Envoy. See README.md.
import { RootContext, registerRootContext } from "../../assembly/proxy";
import { RocketMQGrpcRoot } from "./root";
export * from "../../assembly/proxy/exports";

registerRootContext((id: u32): RootContext => new RocketMQGrpcRoot(id));
