// A backend stores one publish's records on one kind of broker and tells the
// sequencer (stream.ts) each record's fate:
//
//   prepare   before anything is sent (and before the limits are asked):
//             a Failure for what this broker cannot carry
//   send      hands every record over, each after stream.sending(record),
//             then stream.settle(record, outcome) per record as answers
//             come, or stream.fail(failure) when the publish fails as a whole
//   on*       the host's answers to the calls this publish made
//
// kafka_send.ts: Metadata through the tunnel, then the worker's producer
// (producer.ts). rocketmq_send.ts: one SendMessage per record over
// proxy_grpc_call. One instance per publish, owned by its Publish.
import { kafkaTopicProblem } from "./dapr";
import { PubsubConfig, TYPE_ROCKETMQ } from "./config";
import { Publish } from "./publish";
import { Failure } from "./record";
import { rocketmqTopicProblem } from "./rocketmq_client";
import { PublishStream } from "./stream";

export abstract class Backend {
  constructor(protected stream: PublishStream, protected publish: Publish) {}

  prepare(): Failure | null {
    return null;
  }

  abstract send(): void;

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): void {}

  onGrpcReceive(token: u32, message: Uint8Array): void {}

  onGrpcClose(token: u32, grpcStatus: u32, message: string): void {}
}

// Why `topic` is not a topic name of this pubsub's broker, or null.
export function topicProblem(pubsub: PubsubConfig, topic: string): string | null {
  return pubsub.type == TYPE_ROCKETMQ ? rocketmqTopicProblem(topic) : kafkaTopicProblem(topic);
}
