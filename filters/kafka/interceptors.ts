// Seams for features that change traffic (topic ACLs, broker address
// rewrite, quotas): each is an interceptor the observers consult, so a
// feature lives in its own file and the observers stay about observing.
//
// A request an interceptor wants is held whole (see frame_stream.ts) and
// may be replaced; a response to a request can be replaced the same way, or
// answered by the filter itself: an interceptor that refuses a request
// replaces it with a cheap one the broker answers (no write-to-client
// call exists for network filters) and sets
// `syntheticResponse` on its InflightRequest, which then goes to the client
// instead of the broker's answer, with order and correlation ids intact.
import { FrameFate } from "../../assembly/common/frame_stream";
import { DecodedRequest } from "../../assembly/kafka/apis";
import { KafkaMessage } from "../../assembly/kafka/message";
import { InflightRequest } from "./inflight";

export abstract class RequestInterceptor {
  // Decided from the request header alone: hold this request whole?
  abstract wantsRequest(apiKey: i16, apiVersion: i16): bool;
  // A request it wants, judged again from its first bytes (head, the frame
  // after its size prefix, not necessarily all of it): Hold it whole after
  // all, Pass (nothing to change in it), or NeedMore of it to decide.
  judgeHead(apiKey: i16, apiVersion: i16, head: Uint8Array, frameSize: i32): FrameFate {
    return FrameFate.Hold;
  }
  // The held request, decoded (body null if the API/version has no codec).
  // Returns the frame to send instead (size prefix included), or null to
  // send it unchanged.
  abstract onRequest(request: DecodedRequest, inflight: InflightRequest): Uint8Array | null;
}

export abstract class ResponseInterceptor {
  abstract wantsResponse(inflight: InflightRequest): bool;
  // A held Produce response, complete and well-formed, before it is decoded:
  // topLevelTags is how many top-level tagged fields it carries (v10+:
  // NodeEndpoints). False when there is nothing in it for this interceptor,
  // so that the response need not be decoded.
  wantsProduceResponse(inflight: InflightRequest, topLevelTags: i32): bool {
    return true;
  }
  // The held response, decoded once for every interceptor (each sees the
  // previous ones' changes). Change it in place and return true; the
  // response is encoded once, after the last interceptor, if any did.
  abstract onResponse(response: KafkaMessage, inflight: InflightRequest): bool;
}
