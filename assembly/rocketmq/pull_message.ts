// The pull consumer side: PULL_MESSAGE and LITE_PULL_MESSAGE share
// PullMessageRequestHeader.
import { RemotingCommand } from "./command";
import { LITE_PULL_MESSAGE, PULL_MESSAGE } from "./request_codes";

export class PullMessageInfo {
  consumerGroup: string = "";
  topic: string = "";
  queueId: string = ""; // kept as text: only labels and ACLs read them
  queueOffset: string = "";
  subscription: string = "";
}

export function isPullRequest(code: i32): bool {
  return code == PULL_MESSAGE || code == LITE_PULL_MESSAGE;
}

// Null when cmd is not a pull request or names no topic.
export function readPullMessage(cmd: RemotingCommand): PullMessageInfo | null {
  if (cmd.isResponse || !isPullRequest(cmd.code)) return null;
  const e = cmd.extFields;
  const topic = e.get("topic");
  if (topic === null || topic.length == 0) return null;
  const info = new PullMessageInfo();
  info.topic = topic;
  info.consumerGroup = e.getOr("consumerGroup", "");
  info.queueId = e.getOr("queueId", "");
  info.queueOffset = e.getOr("queueOffset", "");
  info.subscription = e.getOr("subscription", "");
  return info;
}
