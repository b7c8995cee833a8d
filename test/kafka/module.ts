// Typed handle on the kafka_codec fixture (test/fixtures/kafka_codec.ts).
import { loadPureModule } from "../support/pure-module.ts";

export interface KafkaCodec {
  lastDecodeError(): string;
  roundTripRequest(frame: Uint8Array): Uint8Array;
  roundTripResponse(apiKey: number, apiVersion: number, frame: Uint8Array): Uint8Array;
  describeRequest(frame: Uint8Array): string;
  describeResponse(apiKey: number, apiVersion: number, frame: Uint8Array): string;
  frameLength(buf: Uint8Array, maxSize: number): number;
  peek(buf: Uint8Array): string;
  apiName(key: number): string;
  errorCodeName(code: number): string;
  headerVersions(key: number, version: number): string;
  readOps(buf: Uint8Array, ops: string): string;
  writeOps(ops: string, values: string): Uint8Array;
  batchSummary(records: Uint8Array): string;
  batchAddHeader(records: Uint8Array, key: string, value: string): Uint8Array;
  codecVersions(key: number): string;
  scanResources(frame: Uint8Array, deny: string): string;
  errorResponseFor(frame: Uint8Array, code: number): Uint8Array;
  answerDenied(frame: Uint8Array, deny: string, code: number): Uint8Array;
}

export async function loadCodec(): Promise<KafkaCodec> {
  return (await loadPureModule<KafkaCodec>("kafka_codec")).exports;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
