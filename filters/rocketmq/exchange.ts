// The rocketmq filter's side of the pipeline (assembly/common/pipeline): its
// exchange, with what the filter reads of a request (its header, read in
// place; the topic and group it names, read on demand), and the held frames
// its interceptors are given, decoded into a RemotingCommand on first use.
import { Session } from "../../assembly/common/framed_connection";
import { Exchange } from "../../assembly/common/pipeline/exchange";
import { HeldFrame, HeldRequest, Interceptor } from "../../assembly/common/pipeline/interceptor";
import { Pipeline } from "../../assembly/common/pipeline/pipeline";
import { decodeCommand, encodeCommand } from "../../assembly/rocketmq/codec";
import { RemotingCommand } from "../../assembly/rocketmq/command";
import { FramePeek, PEEK_OK } from "../../assembly/rocketmq/frame";
import { CONSUMER_SEND_MSG_BACK, GET_BROKER_CLUSTER_INFO, requestCodeLabel } from "../../assembly/rocketmq/request_codes";
import { V2_PRODUCER_GROUP, V2_TOPIC, isSendRequest, usesShortNames } from "../../assembly/rocketmq/send_message";

// The request code sent in place of a request the filter answers:
// GET_BROKER_CLUSTER_INFO is read-only and answered at once (a cluster-mode
// proxy has no processor for it and answers REQUEST_CODE_NOT_SUPPORTED from
// its I/O thread, a broker the same from its admin processor, a name server
// with its cluster table).
export const STAND_IN_CODE: i32 = GET_BROKER_CLUSTER_INFO;

// The extFields names of a request's topic and group.
export function topicKey(code: i32): string {
  if (usesShortNames(code)) return V2_TOPIC;
  return code == CONSUMER_SEND_MSG_BACK ? "originTopic" : "topic";
}

export function groupKey(code: i32): string {
  if (usesShortNames(code)) return V2_PRODUCER_GROUP;
  return isSendRequest(code) ? "producerGroup" : code == CONSUMER_SEND_MSG_BACK ? "group" : "consumerGroup";
}

export class RocketMQExchange extends Exchange {
  // The request's header, read in place, while the request's head is judged
  // (FramePeek.ext reads an extFields value); null afterwards.
  header: FramePeek | null = null;
  // Consume requests: the labels their response's messages count under.
  topicLabel: string | null = null;
  groupLabel: string | null = null;
  // The response code, once the response's head was read.
  responseCode: i32 = 0;
  // Consume requests: the topic and group they named, for policies that
  // need them with the response (limits, tracing); null otherwise.
  consumeTopic: string | null = null;
  consumeGroup: string | null = null;

  constructor(session: Session) {
    super(session);
  }

  reset(opaque: i32, code: i32, startNanos: u64, requestSize: i32): RocketMQExchange {
    this.resetExchange(opaque, code, 0, startNanos, requestSize);
    this.header = null;
    this.topicLabel = null;
    this.groupLabel = null;
    this.responseCode = 0;
    this.consumeTopic = null;
    this.consumeGroup = null;
    return this;
  }

  get codeLabel(): string {
    return requestCodeLabel(this.api);
  }

  // The topic the request names in its header, or null (read from the
  // header on each call: while the head is judged only).
  topic(): string | null {
    const header = this.header;
    return header == null ? null : header.ext(topicKey(this.api));
  }

  group(): string | null {
    const header = this.header;
    return header == null ? null : header.ext(groupKey(this.api));
  }
}

// A frame's RemotingCommand, decoded on first use.
class LazyCommand {
  private decoded: RemotingCommand | null = null;
  private tried: bool = false;

  // The whole command (header and body), or null when it does not decode.
  of(bytes: Uint8Array): RemotingCommand | null {
    if (!this.tried) {
      this.tried = true;
      const d = decodeCommand(bytes);
      this.decoded = d.ok ? d.command : null;
    }
    return this.decoded;
  }

  forget(): void {
    this.decoded = null;
    this.tried = false;
  }
}

// A held request: the frame as it came, and its decode on first use.
export class RemotingRequest extends HeldRequest {
  private readonly decoded: LazyCommand = new LazyCommand();
  private readonly peeked: FramePeek = new FramePeek();

  reset(bytes: Uint8Array): RemotingRequest {
    this.resetFrame(bytes);
    return this;
  }

  // The whole command (header and body), or null when it does not decode.
  command(): RemotingCommand | null {
    return this.decoded.of(this.bytes);
  }

  // The header read in place (as RocketMQExchange.header).
  peek(): FramePeek {
    return this.peeked.read(this.bytes, this.bytes.length);
  }

  // GET_BROKER_CLUSTER_INFO with the request's opaque, serialization,
  // language and version.
  standIn(): Uint8Array {
    const original = this.command();
    let standIn: RemotingCommand;
    if (original != null) {
      standIn = RemotingCommand.request(STAND_IN_CODE, original.opaque, original.serializeType);
      standIn.language = original.language;
      standIn.version = original.version;
    } else {
      const p = this.peek();
      standIn = RemotingCommand.request(STAND_IN_CODE, p.status == PEEK_OK ? p.opaque : 0, p.serializeType);
    }
    return encodeCommand(standIn);
  }

  protected forget(): void {
    this.decoded.forget();
  }

  protected encode(): Uint8Array {
    return encodeCommand(this.command()!);
  }
}

// A held response.
export class RemotingResponse extends HeldFrame {
  private readonly decoded: LazyCommand = new LazyCommand();

  reset(bytes: Uint8Array): RemotingResponse {
    this.resetFrame(bytes);
    return this;
  }

  command(): RemotingCommand | null {
    return this.decoded.of(this.bytes);
  }

  protected forget(): void {
    this.decoded.forget();
  }

  protected encode(): Uint8Array {
    return encodeCommand(this.command()!);
  }
}

export abstract class RocketMQInterceptor extends Interceptor<RocketMQExchange, RemotingRequest, RemotingResponse> {}

export type RocketMQPipeline = Pipeline<RocketMQExchange, RemotingRequest, RemotingResponse>;
