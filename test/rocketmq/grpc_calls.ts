// Recorded rocketmq-client-nodejs calls (scripts/record-rocketmq-grpc.ts)
// and the gRPC framing around them, for the rocketmq-grpc filter's tests.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { GrpcRecording, RecordedCall } from "../../scripts/record-rocketmq-grpc.ts";
import type { ProxyHost } from "../host/index.ts";

export const rec: GrpcRecording = JSON.parse(readFileSync(new URL("../recordings/rocketmq-grpc/nodejs.json", import.meta.url), "utf8"));
export const SERVICE = "/apache.rocketmq.v2.MessagingService/";
export const b64 = (s: string) => Buffer.from(s, "base64");
export const joined = (chunks: string[]) => Buffer.concat(chunks.map(b64));
export const method = (c: RecordedCall) => c.path.slice(SERVICE.length);
export const callsOf = (name: string) => rec.calls.filter((c) => method(c) === name);

// gRPC messages of a body: [compressed, message].
export function messages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos + 5 <= body.length; ) {
    const n = body.readUInt32BE(pos + 1);
    out.push(body.subarray(pos + 5, pos + 5 + n));
    pos += 5 + n;
  }
  return out;
}

export function frame(msg: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

export type Split = (n: number) => number[];
export const whole: Split = (n) => [n];

export function pieces(bytes: Buffer, split: Split): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (const size of split(bytes.length)) {
    if (pos >= bytes.length) break;
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  if (pos < bytes.length) out.push(bytes.subarray(pos));
  return out.filter((p) => p.length > 0);
}

// One recorded call through the filter: request headers, body chunks (the
// recorded ones, each cut again by `split`), response headers, body, trailers.
export function replayCall(host: ProxyHost, call: RecordedCall, split: Split = whole, response?: Buffer[]) {
  const stream = host.newHttpStream();
  expect(stream.callOnRequestHeaders(call.requestHeaders)).toBe("continue");
  const req = call.request.flatMap((c) => pieces(b64(c), split));
  req.forEach((p, i) => expect(stream.callOnRequestBody(p, { endOfStream: i === req.length - 1 })).toBe("continue"));
  if (req.length === 0) stream.callOnRequestBody(new Uint8Array(0), { endOfStream: true });
  const trailersOnly = call.response.length === 0 && call.trailers.length === 0;
  stream.callOnResponseHeaders(call.responseHeaders, { endOfStream: trailersOnly });
  for (const p of response ?? call.response.flatMap((c) => pieces(b64(c), split))) stream.callOnResponseBody(p);
  if (!trailersOnly) stream.callOnResponseTrailers(call.trailers);
  stream.complete();
  return stream;
}

