// Responses: matched to their request by opaque (remoting answers out of
// order), counted by request code and response code with the latency;
// successful pull and pop responses are read for the messages they carry.
import { FrameFate } from "../../assembly/common/frame_stream";
import { getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { encodeFrame, splitFrame, FramePeek } from "../../assembly/rocketmq/frame";
import { rewriteRouteAddresses } from "../../assembly/rocketmq/route";
import { GET_ROUTEINFO_BY_TOPIC, LITE_PULL_MESSAGE, PEEK_MESSAGE, POP_MESSAGE, PULL_MESSAGE } from "../../assembly/rocketmq/request_codes";
import { NO_PERMISSION, SUCCESS, responseCodeLabel } from "../../assembly/rocketmq/response_codes";
import { InflightRequest, InflightRequests } from "./inflight";
import { RocketMQMetrics } from "./metrics";

function carriesMessages(code: i32): bool {
  return code == PULL_MESSAGE || code == LITE_PULL_MESSAGE || code == POP_MESSAGE || code == PEEK_MESSAGE;
}

function readI32(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | b[at + 3];
}

export class ResponseObserver {
  // The request of the response being read (set in decide, used in onFrame).
  private current: InflightRequest | null = null;
  private rewriting: bool = false;
  // The answer the ACL made for a denied request (acl.ts), sent instead.
  private synthetic: Uint8Array | null = null;

  constructor(
    private metrics: RocketMQMetrics,
    // Requests the other side sent, waiting for this side's response.
    private inflight: InflightRequests,
    // True for responses from the server (to the client's requests).
    private fromServer: bool,
    // The sidecar's address for route answers; "" = leave them alone.
    private routeRewriteAddress: string,
  ) {}

  decide(peek: FramePeek, oversize: bool): FrameFate {
    this.current = null;
    this.rewriting = false;
    this.synthetic = null;
    const request = this.inflight.take(peek.opaque);
    if (request == null) {
      this.metrics.unparsed.add(["unmatched_response"]);
      return FrameFate.Pass;
    }
    // The client answering a request of the server: nothing more to count.
    if (!this.fromServer) return FrameFate.Pass;
    const synthetic = request.synthetic;
    // The client sees NO_PERMISSION for a denied request.
    this.metrics.responses.add([request.codeLabel, responseCodeLabel(synthetic != null ? NO_PERMISSION : peek.code)]);
    const elapsed = getCurrentTimeNanoseconds() - request.startNanos;
    this.metrics.latency.record([request.codeLabel], elapsed / 1000000);
    if (synthetic != null) {
      if (oversize) {
        this.metrics.unparsed.add(["oversize"]);
        return FrameFate.Pass;
      }
      this.synthetic = synthetic;
      return FrameFate.Hold;
    }
    if (request.code == GET_ROUTEINFO_BY_TOPIC && peek.code == SUCCESS && this.routeRewriteAddress.length > 0) {
      if (oversize) {
        this.metrics.routeRewrites.add(["failed"]);
        this.metrics.unparsed.add(["oversize"]);
        return FrameFate.Pass;
      }
      this.rewriting = true;
      return FrameFate.Hold;
    }
    if (peek.code != SUCCESS || request.topic == null || !carriesMessages(request.code)) return FrameFate.Pass;
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return FrameFate.Pass;
    }
    this.current = request;
    return FrameFate.Observe;
  }

  // A complete observed response (no size prefix): the body of a pull or pop
  // response is the stored messages back to back, each starting with its
  // int32 total size (which counts itself).
  onFrame(frame: Uint8Array): Uint8Array | null {
    const synthetic = this.synthetic;
    if (synthetic != null) {
      this.synthetic = null;
      return synthetic;
    }
    if (this.rewriting) {
      this.rewriting = false;
      return this.rewriteRoute(frame);
    }
    this.countMessages(frame);
    return null;
  }

  // The route answer with every broker address replaced by the sidecar's,
  // header and every other body byte as the server wrote them; null (sent
  // unchanged) when the body cannot be read.
  private rewriteRoute(frame: Uint8Array): Uint8Array | null {
    const parts = splitFrame(frame);
    if (parts.ok) {
      const rewrite = rewriteRouteAddresses(parts.body, this.routeRewriteAddress);
      if (rewrite.ok) {
        this.metrics.routeRewrites.add(["rewritten"]);
        return encodeFrame(parts.serializeType, parts.header, rewrite.body);
      }
    }
    this.metrics.routeRewrites.add(["failed"]);
    return null;
  }

  private countMessages(frame: Uint8Array): void {
    const request = this.current;
    this.current = null;
    if (request == null) return;
    const parts = splitFrame(frame);
    if (!parts.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const body = parts.body;
    let messages: u64 = 0;
    let bytes: u64 = 0;
    let pos = 0;
    while (pos + 4 <= body.length) {
      const size = readI32(body, pos);
      if (size < 4 || size > body.length - pos) break;
      messages++;
      bytes += <u64>size;
      pos += size;
    }
    // Whole messages are counted; a body that does not end on one is noted.
    if (pos != body.length) this.metrics.unparsed.add(["undecodable"]);
    const labels = [request.topic!, request.group!];
    this.metrics.consumedMessages.add(labels, messages);
    this.metrics.consumedBytes.add(labels, bytes);
  }
}
