// Ids the bridge makes up: CloudEvent ids of Dapr's envelope and RocketMQ
// request ids (UUIDv4, as Dapr and the RocketMQ 5 clients use), and RocketMQ
// message ids (in the layout RocketMQ 5 clients generate).
import { getRandomBytes } from "../../assembly/proxy";
import { messageId } from "../../assembly/rocketmq/grpc/message_id";

export function uuid4(): string {
  const b = Uint8Array.wrap(getRandomBytes(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += hex.charAt(b[i] >> 4) + hex.charAt(b[i] & 15);
  }
  return s;
}

// Per VM (one per worker): random, so workers and restarts do not collide.
let processBytes: Uint8Array | null = null;
let sequence: u32 = 0;

export function nextMessageId(nowMs: i64): string {
  if (processBytes == null) processBytes = Uint8Array.wrap(getRandomBytes(8));
  return messageId(processBytes!, nowMs, sequence++);
}
