// Which APIs this codec decodes (every API a Kafka 4.x broker serves), the
// versions of each (from "validVersions" of the message JSON), and whole-frame
// decode/encode: size prefix, header (version chosen per API/version) and body.
// A frame of another API or version is not an error of the stream: the
// filter passes it through untouched (body == null, error == null).
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { RequestHeader, ResponseHeader, requestHeaderVersion, responseHeaderVersion } from "./header";
import { KafkaMessage } from "./message";
import { maxCodecVersion, minCodecVersion, newRequest, newResponse } from "./api/registry";

// By API key (generated): minCodecVersion/maxCodecVersion (-1 when the API is
// not covered; Produce 0-2, listed by 4.x brokers in ApiVersions for old
// clients but rejected, have no codec), newRequest/newResponse (null then).
export { maxCodecVersion, minCodecVersion, newRequest, newResponse };

export function hasCodec(key: i32, version: i16): bool {
  const lo = minCodecVersion(key);
  return lo >= 0 && version >= lo && version <= maxCodecVersion(key);
}

export class DecodedRequest {
  header: RequestHeader = new RequestHeader();
  // null when the API/version has no codec or decoding failed
  body: KafkaMessage | null = null;
  // why the frame is invalid; null when it decoded (or was not attempted)
  error: string | null = null;
}

// Decodes one whole request frame (int32 size prefix included). The frame
// must be complete (see frameStatus) and its body consumed exactly.
export function decodeRequest(frame: Uint8Array): DecodedRequest {
  const r = new BytesReader(frame);
  const size = r.i32();
  if (!r.ok || size < 0 || size != r.remaining) {
    const out = new DecodedRequest();
    out.error = "bad frame size";
    return out;
  }
  return decodeRequestFrom(r);
}

// The same for a frame body without its size prefix, as a filter's frame
// stream hands it over: no copy just to put the prefix back.
export function decodeRequestBody(body: Uint8Array): DecodedRequest {
  return decodeRequestFrom(new BytesReader(body));
}

function decodeRequestFrom(r: BytesReader): DecodedRequest {
  const out = new DecodedRequest();
  out.header.decode(r);
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  const key = out.header.apiKey;
  const version = out.header.apiVersion;
  if (!hasCodec(key, version)) return out;
  const body = newRequest(key)!;
  body.decode(r, version);
  if (r.ok && r.remaining != 0) r.fail("trailing bytes");
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  out.body = body;
  return out;
}

// Encodes header + body with the size prefix.
export function encodeRequest(header: RequestHeader, body: KafkaMessage): Uint8Array {
  const w = new BytesWriter(256);
  w.i32(0);
  header.encode(w, requestHeaderVersion(header.apiKey, header.apiVersion));
  body.encode(w, header.apiVersion);
  w.setI32At(0, w.length - 4);
  return w.toBytes();
}

export class DecodedResponse {
  header: ResponseHeader = new ResponseHeader();
  body: KafkaMessage | null = null;
  error: string | null = null;
}

// Decodes a whole response frame; the API and version come from the request
// with the same correlation id (responses do not carry them).
export function decodeResponse(apiKey: i16, apiVersion: i16, frame: Uint8Array): DecodedResponse {
  const r = new BytesReader(frame);
  const size = r.i32();
  if (!r.ok || size < 0 || size != r.remaining) {
    const out = new DecodedResponse();
    out.error = "bad frame size";
    return out;
  }
  return decodeResponseFrom(apiKey, apiVersion, r, hasCodec(apiKey, apiVersion) ? newResponse(apiKey) : null);
}

// The same for a frame body without its size prefix.
export function decodeResponseBody(apiKey: i16, apiVersion: i16, body: Uint8Array): DecodedResponse {
  return decodeResponseFrom(apiKey, apiVersion, new BytesReader(body), hasCodec(apiKey, apiVersion) ? newResponse(apiKey) : null);
}

// A whole response frame decoded into `body`, a new response of the API the
// caller asked: code that speaks a few APIs (a client) does not pull in the
// codec of every API, as looking the class up by key would.
export function decodeResponseInto(body: KafkaMessage, apiVersion: i16, frame: Uint8Array): DecodedResponse {
  const r = new BytesReader(frame);
  const size = r.i32();
  if (!r.ok || size < 0 || size != r.remaining) {
    const out = new DecodedResponse();
    out.error = "bad frame size";
    return out;
  }
  return decodeResponseFrom(body.apiKey, apiVersion, r, body);
}

function decodeResponseFrom(apiKey: i16, apiVersion: i16, r: BytesReader, body: KafkaMessage | null): DecodedResponse {
  const out = new DecodedResponse();
  const hv = responseHeaderVersion(apiKey, apiVersion);
  out.header.decode(r, hv < 0 ? 0 : hv);
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  if (body === null) return out;
  body.decode(r, apiVersion);
  if (r.ok && r.remaining != 0) r.fail("trailing bytes");
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  out.body = body;
  return out;
}

export function encodeResponse(apiKey: i16, apiVersion: i16, header: ResponseHeader, body: KafkaMessage): Uint8Array {
  const w = new BytesWriter(256);
  w.i32(0);
  const hv = responseHeaderVersion(apiKey, apiVersion);
  header.encode(w, hv < 0 ? 0 : hv);
  body.encode(w, apiVersion);
  w.setI32At(0, w.length - 4);
  return w.toBytes();
}
