// An HTTP filter context: one per request/response pair.
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, GrpcStatus, StreamType, WasmResult,
} from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";
import { BaseContext } from "./context";
import { RootContext } from "./root_context";

export class HttpContext extends BaseContext {
  readonly root: RootContext;

  constructor(id: u32, root: RootContext) {
    super(id);
    this.root = root;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }

  // bodySize is all the host holds while the body is being buffered.
  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: u32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  // Answers the request here instead of (or replacing) the upstream's answer.
  // Return StopIteration from the current callback afterwards.
  sendLocalResponse(statusCode: u32, body: ArrayBuffer | null, headers: HeaderPair[] = [], details: string = "",
    grpcStatus: GrpcStatus = GrpcStatus.InvalidCode): WasmResult {
    this.setEffectiveContext();
    return host.sendLocalResponse(statusCode, details, body, headers, <i32>grpcStatus);
  }

  sendLocalText(statusCode: u32, body: string, headers: HeaderPair[] = []): WasmResult {
    return this.sendLocalResponse(statusCode, String.UTF8.encode(body), headers);
  }

  continueRequest(): WasmResult {
    this.setEffectiveContext();
    return host.continueStream(StreamType.HttpRequest);
  }

  continueResponse(): WasmResult {
    this.setEffectiveContext();
    return host.continueStream(StreamType.HttpResponse);
  }

  closeRequest(): WasmResult {
    this.setEffectiveContext();
    return host.closeStream(StreamType.HttpRequest);
  }

  closeResponse(): WasmResult {
    this.setEffectiveContext();
    return host.closeStream(StreamType.HttpResponse);
  }
}
