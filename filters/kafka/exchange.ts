// The kafka filter's side of the pipeline (assembly/common/pipeline): its
// exchange, with what the filter reads of a request and what its policies
// keep per request, and the held frames its interceptors are given, decoded
// with the generated codec on first use.
import { Session } from "../../assembly/common/framed_connection";
import { Exchange } from "../../assembly/common/pipeline/exchange";
import { HeldFrame, HeldRequest, Interceptor } from "../../assembly/common/pipeline/interceptor";
import { Pipeline } from "../../assembly/common/pipeline/pipeline";
import { ApiKey } from "../../assembly/kafka/api_keys";
import { DecodedRequest, DecodedResponse, decodeRequestBody, decodeResponseBody, encodeRequest, encodeResponse } from "../../assembly/kafka/apis";
import { ResponseHeader } from "../../assembly/kafka/header";
import { KafkaMessage } from "../../assembly/kafka/message";
import { ProduceScanner } from "../../assembly/kafka/produce_scanner";

// oneway (a produce request with acks=0) is known once the request was read
// whole: from onRequest on for a held one; at its head, produce.acks says it.
export class KafkaExchange extends Exchange {
  // A Produce request's reading (its acks, topic count and first topic once
  // its head has shown them), while the request streams by; null otherwise.
  produce: ProduceScanner | null = null;
  // The ACL: the entries it cut out of a request that went on with the
  // allowed ones (a request of the same API), answered with authorization
  // errors in the broker's response.
  aclDenied: KafkaMessage | null = null;
  // The error codes the filter read in the response (none: empty), during
  // onDone; null when the response went by unread (no codec, oversize).
  responseErrors: Array<i16> | null = null;
  // A quota's throttle ends at this wall-clock time (ns; 0: not throttled):
  // the response tells the client what is left of it.
  throttledUntil: u64 = 0;
  // The response, during onDone, when the filter kept it to read (a codec
  // exists and it was not oversize); null otherwise.
  response: KafkaResponse | null = null;

  constructor(session: Session) {
    super(session);
  }

  reset(correlationId: i32, apiKey: i16, apiVersion: i16, startNanos: u64, requestSize: i32): KafkaExchange {
    this.resetExchange(correlationId, apiKey, apiVersion, startNanos, requestSize);
    this.produce = null;
    this.aclDenied = null;
    this.responseErrors = null;
    this.throttledUntil = 0;
    this.response = null;
    return this;
  }

  get apiKey(): i16 {
    return <i16>this.api;
  }
}

// A held request: the frame as it came, and its decode on first use.
export class KafkaRequest extends HeldRequest {
  private decodedRequest: DecodedRequest | null = null;

  reset(bytes: Uint8Array): KafkaRequest {
    this.resetFrame(bytes);
    return this;
  }

  // Header and body; body null when the API/version has no codec here or
  // the frame does not decode (error says why).
  decoded(): DecodedRequest {
    let d = this.decodedRequest;
    if (d == null) {
      d = decodeRequestBody(this.bytes);
      this.decodedRequest = d;
    }
    return d;
  }

  get message(): KafkaMessage | null {
    return this.decoded().body;
  }

  // It was decoded, and is not a well-formed request of its API.
  get decodedError(): bool {
    const d = this.decodedRequest;
    return d != null && d.body == null && d.error != null;
  }

  // Answers the request with `response`, a body of its own API and version
  // (Kroxylicious's shortCircuitResponse).
  answerWith(x: KafkaExchange, response: KafkaMessage): void {
    const h = new ResponseHeader();
    h.correlationId = x.id;
    x.shortCircuit(encodeResponse(x.apiKey, x.version, h, response));
  }

  // ApiVersions v0 with the request's correlation id and client id: the
  // cheapest request every broker answers. Built from the request's own
  // header bytes (the client id is an int16 string in every header version).
  standIn(): Uint8Array {
    const b = this.bytes;
    let clientIdLength = 0;
    if (b.length >= 10) {
      const n = (<i32><i16>((<i32>b[8] << 8) | b[9]));
      if (n >= 0 && 10 + n <= b.length) clientIdLength = 2 + n;
    }
    const size = 8 + max(clientIdLength, 2);
    const out = new Uint8Array(4 + size);
    out[2] = <u8>(size >> 8);
    out[3] = <u8>size;
    out[5] = <u8>ApiKey.ApiVersions;
    for (let i = 4; i < 8; i++) out[4 + i] = i < b.length ? b[i] : 0;
    if (clientIdLength > 0) memory.copy(out.dataStart + 12, b.dataStart + 8, <usize>clientIdLength);
    else {
      out[12] = 0xff; // null client id
      out[13] = 0xff;
    }
    return out;
  }

  protected forget(): void {
    this.decodedRequest = null;
  }

  protected encode(): Uint8Array {
    const d = this.decoded();
    return encodeRequest(d.header, d.body!);
  }
}

// A held (or observed) response: the frame as it came, the API and version
// of its request, and its decode on first use.
export class KafkaResponse extends HeldFrame {
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  // Produce: how many top-level tagged fields the in-place error scan found
  // (v10+ leader hints), -1 when it found the frame malformed.
  produceTags: i32 = -1;
  private decodedResponse: DecodedResponse | null = null;

  reset(x: KafkaExchange, bytes: Uint8Array): KafkaResponse {
    this.apiKey = x.apiKey;
    this.apiVersion = x.version;
    this.produceTags = -1;
    this.resetFrame(bytes);
    return this;
  }

  decoded(): DecodedResponse {
    let d = this.decodedResponse;
    if (d == null) {
      d = decodeResponseBody(this.apiKey, this.apiVersion, this.bytes);
      this.decodedResponse = d;
    }
    return d;
  }

  // The body, null when the API/version has no codec or it does not decode.
  get message(): KafkaMessage | null {
    return this.decoded().body;
  }

  protected forget(): void {
    this.decodedResponse = null;
  }

  protected encode(): Uint8Array {
    const d = this.decoded();
    return encodeResponse(this.apiKey, this.apiVersion, d.header, d.body!);
  }
}

export abstract class KafkaInterceptor extends Interceptor<KafkaExchange, KafkaRequest, KafkaResponse> {}

export type KafkaPipeline = Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>;
