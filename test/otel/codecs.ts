// Typed handle on the trace_codecs fixture (test/fixtures/trace_codecs.ts),
// rebuilt first when its sources changed.
import { loadPureModule } from "../support/pure-module.ts";
import { fixture } from "../sdk/fixtures.ts";

export interface TraceCodecs {
  threshold(ratio: number): bigint;
  thresholdText(ratio: number): string;
  sample(ratio: number, traceId: string, parent: string): number;
  sampledCount(ratio: number, ids: string, count: number): number;
  kafkaInject(records: Uint8Array, traceparent: string, tracestate: string): Uint8Array;
  kafkaContexts(records: Uint8Array): string;
  propertiesRead(properties: string): string;
  propertiesInject(properties: string, traceparent: string, tracestate: string): string;
  sendInject(frame: Uint8Array, traceparent: string, tracestate: string): Uint8Array;
  storedDescribe(body: Uint8Array): string;
  pulledContexts(body: Uint8Array): string;
  grpcRead(message: Uint8Array): string;
  grpcReceived(response: Uint8Array): string;
  grpcInject(request: Uint8Array, traceparent: string, tracestate: string): Uint8Array;
  /** JSON: what the last injection found (injected, carrying, carried, error...). */
  lastSummary(): string;
}

export async function loadTraceCodecs(): Promise<TraceCodecs> {
  await fixture("trace_codecs");
  return (await loadPureModule<TraceCodecs>("trace_codecs")).exports;
}

export const OURS = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
export const THEIRS = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
