// One HTTP request/response through Envoy's HTTP Wasm filter
// (envoy.filters.http.wasm); request and response share one context id.
//
// What this reproduces from Envoy:
// - Header maps are reachable only during their callback or while the
//   filter holds that phase paused; once it continued, Envoy drops the map
//   and a header call on it is BAD_ARGUMENT.
// - StopIterationAndBuffer keeps the body in Envoy's buffer; the next chunk
//   is added and the filter sees the whole body so far.
// - proxy_send_local_response takes effect when the VM call returns; Envoy
//   then sends the reply through the encoder filters, this one included
//   (proxy_on_response_headers/body run on the local reply).
// - Returning StopIteration from headers means "stop everything" in ABI
//   0.2.x: body chunks are held by Envoy and reach the filter only after
//   proxy_continue_stream(HTTP_REQUEST).

import { FilterDataStatus, FilterHeadersStatus, type Pairs } from "./abi.ts";
import type { BufferSlot } from "./connection.ts";
import type { ProxyHost } from "./host.ts";
import { concatBytes, toBytes } from "./memory.ts";
import { propertyBytes, type PropertyValue } from "./properties.ts";

export interface HttpStreamOptions {
  properties?: Record<string, PropertyValue>;
}

export type HeadersAction = (typeof FilterHeadersStatus)[number];
export type DataAction = (typeof FilterDataStatus)[number];
export type TrailersAction = "continue" | "stop";

export interface LocalResponse {
  status: number;
  body: string;
  bodyBytes: Uint8Array;
  /** The additional headers the filter asked for. */
  headers: Pairs;
  details: string;
  grpcStatus: number | undefined;
}

export interface MapSlot {
  get(): Pairs;
  set(pairs: Pairs): void;
}

type Phase = "idle" | "paused" | "done";
const empty = new Uint8Array(0);

export class HttpStream {
  readonly kind = "http" as const;
  /** @internal */ created = false;
  /** @internal */ readonly properties = new Map<string, Uint8Array>();
  requestHeaders: Pairs = [];
  requestTrailers: Pairs = [];
  /** Request body bytes that went on upstream. */
  requestBody: Uint8Array = empty;
  /** Request body Envoy holds for the filter (buffered or paused). */
  heldRequestBody: Uint8Array = empty;
  responseHeaders: Pairs = [];
  responseTrailers: Pairs = [];
  responseBody: Uint8Array = empty;
  heldResponseBody: Uint8Array = empty;
  localResponse: LocalResponse | undefined;
  /** True once the request headers went on upstream. */
  requestForwarded = false;
  /** Set by proxy_close_stream. */
  resetByFilter: "request" | "response" | undefined;
  finished = false;
  private requestPhase: Phase = "idle";
  private responsePhase: Phase = "idle";
  private open = { reqHeaders: false, reqBody: false, reqTrailers: false, respHeaders: false, respBody: false, respTrailers: false };
  private reqEnd = false;
  private respEnd = false;
  private responseStarted = false;
  private pendingBodyEnd = false;

  constructor(
    private readonly host: ProxyHost,
    readonly id: number,
    options: HttpStreamOptions,
  ) {
    for (const [k, v] of Object.entries(options.properties ?? {})) this.properties.set(k, propertyBytes(v));
  }

  get requestBodyText(): string {
    return new TextDecoder().decode(this.requestBody);
  }

  get responseBodyText(): string {
    return new TextDecoder().decode(this.responseBody);
  }

  /** First value of a header as the filter left it (Envoy's lookups return the first value too). */
  requestHeader(name: string): string | undefined {
    return this.requestHeaders.find(([k]) => k === name.toLowerCase())?.[1];
  }

  responseHeader(name: string): string | undefined {
    return this.responseHeaders.find(([k]) => k === name.toLowerCase())?.[1];
  }

  callOnRequestHeaders(headers: Pairs, opts: { endOfStream?: boolean } = {}): HeadersAction {
    this.assertUsable("callOnRequestHeaders");
    return this.host.run(() => {
      this.host.createInVm(this, this.host.root.id);
      this.requestHeaders = lower(headers);
      this.reqEnd = !!opts.endOfStream;
      this.open.reqHeaders = true;
      const action = this.headersAction("proxy_on_request_headers", this.host.callback(this, "proxy_on_request_headers", this.id, headers.length, opts.endOfStream ? 1 : 0));
      this.host.drainDeferred();
      if (this.localResponse) return action;
      if (action === "continue" || action === "continueAndEndStream") this.continueRequest();
      else this.requestPhase = "paused";
      return action;
    });
  }

  /** A chunk of request body. While the request is paused at headers, Envoy holds it without calling the filter. */
  callOnRequestBody(data: string | Uint8Array, opts: { endOfStream?: boolean } = {}): DataAction | "heldByEnvoy" {
    this.assertUsable("callOnRequestBody");
    return this.host.run(() => {
      this.heldRequestBody = concatBytes(this.heldRequestBody, toBytes(data));
      if (this.requestPhase === "paused" && this.open.reqHeaders) {
        this.pendingBodyEnd = !!opts.endOfStream;
        return "heldByEnvoy";
      }
      return this.deliverRequestBody(!!opts.endOfStream);
    });
  }

  callOnRequestTrailers(trailers: Pairs): TrailersAction {
    this.assertUsable("callOnRequestTrailers");
    return this.host.run(() => {
      this.requestTrailers = lower(trailers);
      this.open.reqTrailers = true;
      const r = this.host.callback(this, "proxy_on_request_trailers", this.id, trailers.length) ?? 0;
      this.host.drainDeferred();
      const action = this.trailersAction("proxy_on_request_trailers", r);
      if (action === "continue" && !this.localResponse) this.open.reqTrailers = false;
      return action;
    });
  }

  callOnResponseHeaders(headers: Pairs, opts: { endOfStream?: boolean } = {}): HeadersAction {
    this.assertUsable("callOnResponseHeaders");
    if (this.localResponse) throw new Error("callOnResponseHeaders: the filter already answered this stream with a local response");
    return this.host.run(() => this.encodeHeaders(lower(headers), !!opts.endOfStream));
  }

  callOnResponseBody(data: string | Uint8Array, opts: { endOfStream?: boolean } = {}): DataAction {
    this.assertUsable("callOnResponseBody");
    return this.host.run(() => this.encodeBody(toBytes(data), !!opts.endOfStream));
  }

  callOnResponseTrailers(trailers: Pairs): TrailersAction {
    this.assertUsable("callOnResponseTrailers");
    return this.host.run(() => {
      this.responseTrailers = lower(trailers);
      this.open.respTrailers = true;
      const r = this.host.callback(this, "proxy_on_response_trailers", this.id, trailers.length) ?? 0;
      this.host.drainDeferred();
      const action = this.trailersAction("proxy_on_response_trailers", r);
      if (action === "continue") this.open.respTrailers = false;
      return action;
    });
  }

  /** The stream ends: proxy_on_done, proxy_on_log, proxy_on_delete. */
  complete(): void {
    if (this.finished) return;
    this.host.run(() => {
      this.finished = true;
      this.host.finishContext(this);
    });
  }

  // ---- used by host functions ------------------------------------------

  /** @internal continueDecoding(): headers (and any held body) go on. */
  continueRequest(): void {
    if (this.requestPhase === "done") return;
    this.open.reqHeaders = false;
    this.requestForwarded = true;
    const hadHeldWhilePaused = this.requestPhase === "paused" && !this.open.reqBody && this.heldRequestBody.length > 0;
    this.requestPhase = "idle";
    if (this.open.reqBody || this.open.reqTrailers) {
      this.requestBody = concatBytes(this.requestBody, this.heldRequestBody);
      this.heldRequestBody = empty;
      this.open.reqBody = false;
      this.open.reqTrailers = false;
    } else if (hadHeldWhilePaused) {
      // Body Envoy held while the headers were paused now reaches the filter.
      this.deliverRequestBody(this.pendingBodyEnd);
    }
  }

  /** @internal continueEncoding(). */
  continueResponse(): void {
    this.open.respHeaders = false;
    this.responsePhase = "idle";
    this.responseBody = concatBytes(this.responseBody, this.heldResponseBody);
    this.heldResponseBody = empty;
    this.open.respBody = false;
    this.open.respTrailers = false;
  }

  /** @internal Deferred part of proxy_send_local_response: the reply goes out through the encoder path. */
  sendLocalReply(reply: LocalResponse): string | undefined {
    if (this.responseStarted) return "response headers were already sent downstream; Envoy can only reset the stream";
    this.host.defer(() => {
      this.localResponse = reply;
      this.requestPhase = "done";
      this.open.reqHeaders = this.open.reqBody = this.open.reqTrailers = false;
      this.heldRequestBody = empty;
      const headers: Pairs = [[":status", String(reply.status)]];
      if (reply.bodyBytes.length > 0) {
        headers.push(["content-length", String(reply.bodyBytes.length)], ["content-type", "text/plain"]);
      }
      headers.push(...lower(reply.headers));
      this.encodeHeaders(headers, reply.bodyBytes.length === 0);
      if (reply.bodyBytes.length > 0) this.encodeBody(reply.bodyBytes, true);
    });
    return undefined;
  }

  /** @internal */
  resetStream(which: "request" | "response"): void {
    this.resetByFilter = which;
    this.requestPhase = this.responsePhase = "done";
    for (const k of Object.keys(this.open) as (keyof typeof this.open)[]) this.open[k] = false;
  }

  /** @internal */
  map(type: "requestHeaders" | "requestTrailers" | "responseHeaders" | "responseTrailers"): MapSlot | string {
    const gone = (what: string, cb: string) =>
      `${what} is only available in ${cb} or while the filter keeps that phase paused (Envoy drops the map once the filter continued)`;
    switch (type) {
      case "requestHeaders":
        return this.open.reqHeaders ? { get: () => this.requestHeaders, set: (p) => void (this.requestHeaders = p) } : gone("HTTP_REQUEST_HEADERS", "proxy_on_request_headers");
      case "requestTrailers":
        // Trailers may also be added from the last body callback when the request has none.
        return this.open.reqTrailers || (this.open.reqBody && this.reqEnd)
          ? { get: () => this.requestTrailers, set: (p) => void (this.requestTrailers = p) }
          : gone("HTTP_REQUEST_TRAILERS", "proxy_on_request_trailers");
      case "responseHeaders":
        return this.open.respHeaders ? { get: () => this.responseHeaders, set: (p) => void (this.responseHeaders = p) } : gone("HTTP_RESPONSE_HEADERS", "proxy_on_response_headers");
      case "responseTrailers":
        return this.open.respTrailers || (this.open.respBody && this.respEnd)
          ? { get: () => this.responseTrailers, set: (p) => void (this.responseTrailers = p) }
          : gone("HTTP_RESPONSE_TRAILERS", "proxy_on_response_trailers");
    }
  }

  /** @internal */
  buffer(kind: "request" | "response"): BufferSlot | string {
    if (kind === "request") {
      if (!this.open.reqBody) return "HTTP_REQUEST_BODY is only available in proxy_on_request_body or while the body is buffered";
      return { get: () => this.heldRequestBody, set: (b) => void (this.heldRequestBody = b) };
    }
    if (!this.open.respBody) return "HTTP_RESPONSE_BODY is only available in proxy_on_response_body or while the body is buffered";
    return { get: () => this.heldResponseBody, set: (b) => void (this.heldResponseBody = b) };
  }

  // ---- internals ---------------------------------------------------------

  private deliverRequestBody(end: boolean): DataAction {
    this.reqEnd = end;
    this.open.reqBody = true;
    const r = this.host.callback(this, "proxy_on_request_body", this.id, this.heldRequestBody.length, end ? 1 : 0);
    this.host.drainDeferred();
    const action = this.dataAction("proxy_on_request_body", r);
    if (this.localResponse || this.requestPhase === "done") return action;
    if (action === "continue") {
      this.requestBody = concatBytes(this.requestBody, this.heldRequestBody);
      this.heldRequestBody = empty;
      this.open.reqBody = false;
    } else if (action === "stopNoBuffer") {
      this.heldRequestBody = empty; // Envoy does not keep it; the filter had to copy what it needed
    }
    return action;
  }

  private encodeHeaders(headers: Pairs, end: boolean): HeadersAction {
    this.responseHeaders = headers;
    this.respEnd = end;
    this.open.respHeaders = true;
    const action = this.headersAction("proxy_on_response_headers", this.host.callback(this, "proxy_on_response_headers", this.id, headers.length, end ? 1 : 0));
    this.host.drainDeferred();
    if (action === "continue" || action === "continueAndEndStream") {
      this.open.respHeaders = false;
      this.responseStarted = true;
    } else {
      this.responsePhase = "paused";
    }
    return action;
  }

  private encodeBody(data: Uint8Array, end: boolean): DataAction {
    this.heldResponseBody = concatBytes(this.heldResponseBody, data);
    this.respEnd = end;
    this.open.respBody = true;
    const r = this.host.callback(this, "proxy_on_response_body", this.id, this.heldResponseBody.length, end ? 1 : 0);
    this.host.drainDeferred();
    const action = this.dataAction("proxy_on_response_body", r);
    if (action === "continue") {
      this.responseBody = concatBytes(this.responseBody, this.heldResponseBody);
      this.heldResponseBody = empty;
      this.open.respBody = false;
    } else if (action === "stopNoBuffer") {
      this.heldResponseBody = empty;
    }
    return action;
  }

  // proxy-wasm-cpp-host's conversions: out-of-range values and a local
  // response both mean "stop"; plain StopIteration from headers becomes
  // StopAllIterationAndWatermark in ABI 0.2.x.
  private headersAction(fn: string, raw: number | undefined): HeadersAction {
    const r = raw ?? 0;
    if (r > 4) this.host.reportCallback(fn, `returned ${r}, not a FilterHeadersStatus (0..4); Envoy treats it as StopAllIterationAndWatermark`, this.id);
    if (this.host.lastCallStopped || r > 4) return "stopAllAndWatermark";
    return FilterHeadersStatus[r];
  }

  private dataAction(fn: string, raw: number | undefined): DataAction {
    const r = raw ?? 0;
    if (r > 3) this.host.reportCallback(fn, `returned ${r}, not a FilterDataStatus (0..3); Envoy treats it as StopIterationNoBuffer`, this.id);
    if (this.host.lastCallStopped || r > 3) return "stopNoBuffer";
    return FilterDataStatus[r];
  }

  private trailersAction(fn: string, raw: number): TrailersAction {
    if (raw > 1) this.host.reportCallback(fn, `returned ${raw}, not a FilterTrailersStatus (0..1)`, this.id);
    return raw === 0 && !this.host.lastCallStopped ? "continue" : "stop";
  }

  private assertUsable(what: string): void {
    if (this.finished) throw new Error(`${what}: stream ${this.id} is complete`);
    if (this.resetByFilter) throw new Error(`${what}: the filter reset stream ${this.id} (proxy_close_stream)`);
  }
}

function lower(pairs: Pairs): Pairs {
  return pairs.map(([k, v]) => [k.toLowerCase(), v]);
}
