// Which requests the rocketmq filter's policies treat alike, read from the
// request's code and header.
import { FramePeek } from "../../assembly/rocketmq/frame";
import { LITE_PULL_MESSAGE, POP_MESSAGE, PULL_MESSAGE, SEND_BATCH_MESSAGE } from "../../assembly/rocketmq/request_codes";
import { V2_BATCH, usesShortNames } from "../../assembly/rocketmq/send_message";

// Requests answered with stored messages.
export function isPullRequest(code: i32): bool {
  return code == PULL_MESSAGE || code == LITE_PULL_MESSAGE || code == POP_MESSAGE;
}

// A send whose body is a batch of messages (SEND_BATCH_MESSAGE, or the
// header's batch flag: "batch", "m" in the short form).
export function isBatchSend(peek: FramePeek): bool {
  return peek.code == SEND_BATCH_MESSAGE || peek.extIs(usesShortNames(peek.code) ? V2_BATCH : "batch", "true");
}
