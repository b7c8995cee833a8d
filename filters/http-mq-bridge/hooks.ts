// Policies that watch or steer publishes. The root registers them once
// (BridgeRoot.hooks); the sequencer (stream.ts) calls each, in order, at fixed
// points of a publish's life:
//
//   started       the request is a publish: its API is known, its trace
//                 context read, nothing answered yet
//   admit         parsed and routed, each record's topic known, nothing sent:
//                 a Failure refuses the publish (answered in its API's shape,
//                 with the headers the hook put on it)
//   sending       a record is handed to its backend, placed (Kafka
//                 partition, RocketMQ message id) but not encoded: its trace
//                 context may still change, and is what the broker stores
//   acknowledged  the backend knows a record's fate (record.outcome)
//   answered      the answer, just before it goes to the app
//   gone          the app went away before its answer
//
// Every publish that started passes exactly one of `answered` and `gone`; the
// records of one whose app went away still pass `acknowledged`.
import { Publish } from "./publish";
import { Answer, Failure, OutboundRecord } from "./record";

export class PublishHook {
  started(p: Publish): void {}

  admit(p: Publish): Failure | null {
    return null;
  }

  sending(p: Publish, r: OutboundRecord): void {}

  acknowledged(p: Publish, r: OutboundRecord): void {}

  answered(p: Publish, a: Answer): void {}

  gone(p: Publish): void {}
}
