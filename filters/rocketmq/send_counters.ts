// The sent_messages/sent_bytes counters of the topic and group a
// connection sent to last: a producer keeps sending to one topic, so the
// header's topic and group bytes are compared with the last ones in place,
// and names are decoded and labels looked up only when they change.
import { Counter } from "../../assembly/proxy";
import { FramePeek } from "../../assembly/rocketmq/frame";
import { decodeUtf8 } from "../../assembly/common/utf8";
import { RocketMQMetrics } from "./metrics";

// One remembered extFields value: its bytes when plain (-1: nothing
// remembered), and its decoded text.
class LastValue {
  bytes: Uint8Array = new Uint8Array(64);
  length: i32 = -1;
  text: string = "";

  // Whether the value peek found (absent: found false) is the remembered
  // one; if not, it is remembered (and decoded).
  same(peek: FramePeek, found: bool, key: string): bool {
    if (!found) {
      if (this.length == -2) return true;
      this.length = -2; // remembered as absent
      this.text = "";
      return false;
    }
    if (peek.valuePlain && this.length >= 0 && peek.valueEquals(this.bytes, this.length)) return true;
    if (peek.valuePlain) {
      const n = peek.valueEnd - peek.valueStart;
      if (n > this.bytes.length) this.bytes = new Uint8Array(n);
      this.length = peek.copyValue(this.bytes);
      this.text = decodeUtf8(this.bytes.dataStart, n);
    } else {
      this.length = -1;
      const text = peek.ext(key);
      this.text = text == null ? "" : text;
    }
    return false;
  }
}

export class SendCounters {
  messages: Counter | null = null;
  bytes: Counter | null = null;
  private readonly topic: LastValue = new LastValue();
  private readonly group: LastValue = new LastValue();

  constructor(private metrics: RocketMQMetrics) {}

  // Points messages and bytes at the counters of the send `peek` read (its
  // whole header shown). False when it names no topic.
  use(peek: FramePeek, topicKey: string, groupKey: string): bool {
    const sameTopic = this.topic.same(peek, peek.extSpan(topicKey), topicKey);
    if (this.topic.text.length == 0) {
      this.topic.length = -1;
      return false;
    }
    const sameGroup = this.group.same(peek, peek.extSpan(groupKey), groupKey);
    if (sameTopic && sameGroup && this.messages != null) return true;
    const labels = [this.metrics.topic(this.topic.text), this.metrics.group(this.group.text)];
    this.messages = this.metrics.sentMessages.with(labels);
    this.bytes = this.metrics.sentBytes.with(labels);
    return true;
  }
}
