// Traffic recorded from real clients and servers (scripts/recording-proxy.ts,
// test/recordings/<filter>/*.json), replayed through the host emulator into a
// network filter.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { expect } from "vitest";
import type { RecordedChunk } from "../../scripts/recording-proxy.ts";
import type { ProxyHost } from "../host/index.ts";

/** One recorded read: "request" came from the client, "response" from the server. */
export interface Chunk {
  direction: RecordedChunk["direction"];
  bytes: Buffer;
}

/** How replay cuts a read of `n` bytes: the sizes of the pieces, in order. */
export type Split = (n: number) => number[];

/** test/recordings/<filter>/<name>.json */
export function loadRecording<R>(filter: string, name: string): R {
  return JSON.parse(readFileSync(new URL(`../recordings/${filter}/${name}.json`, import.meta.url), "utf8"));
}

export function chunksOf(connection: RecordedChunk[]): Chunk[] {
  return connection.map((c) => ({ direction: c.direction, bytes: Buffer.from(c.base64, "base64") }));
}

/** The whole stream of one direction. */
export function joined(chunks: Chunk[], direction: Chunk["direction"]): Buffer {
  return Buffer.concat(chunks.filter((c) => c.direction === direction).map((c) => c.bytes));
}

/** Replays one connection, each recorded read cut into pieces by `split`; every call must let the data continue. */
export function replay(host: ProxyHost, chunks: Chunk[], split: Split = (n) => [n]) {
  const conn = host.newConnection();
  for (const chunk of chunks) {
    let pos = 0;
    for (const size of split(chunk.bytes.length)) {
      const piece = chunk.bytes.subarray(pos, pos + size);
      pos += size;
      if (piece.length === 0) continue;
      const action = chunk.direction === "request" ? conn.callOnDownstreamData(piece) : conn.callOnUpstreamData(piece);
      expect(action).toBe("continue");
    }
  }
  conn.closeDownstream();
  return conn;
}

/** Cuts reads into pieces of these sizes in turn, the turn carrying on from read to read. */
export function cyclingSplit(sizes: number[]): Split {
  let turn = 0;
  return (n) => {
    const out: number[] = [];
    for (let left = n; left > 0; ) {
      const size = Math.min(left, sizes[turn++ % sizes.length]);
      out.push(size);
      left -= size;
    }
    return out;
  };
}

/**
 * The property that read boundaries change nothing: the connections replayed
 * with reads cut at random give the same bytes in both directions, and the
 * counters `names` as replayed whole.
 */
/**
 * Fires the root's tick when the filter set a period: a filter that sums
 * counters in the module (Counter.incrementLater) hands them to Envoy then.
 * Returns the host, for reading metrics right after.
 */
export function flushed(host: ProxyHost): ProxyHost {
  if (host.tickPeriodMs > 0) host.tick();
  return host;
}

export async function assertAnySplitSame(
  startFilter: () => Promise<ProxyHost>,
  connections: RecordedChunk[][],
  names: string[],
  numRuns: number,
): Promise<void> {
  const reference = await startFilter();
  for (const connection of connections) replay(reference, chunksOf(connection));
  flushed(reference);
  // Counts that are all zero would make the comparison below vacuous.
  expect(names.some((name) => reference.getCounter(name, 0) > 0)).toBe(true);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 16 }), async (sizes) => {
      const host = await startFilter();
      const split = cyclingSplit(sizes);
      for (const connection of connections) {
        const chunks = chunksOf(connection);
        const conn = replay(host, chunks, split);
        expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
        expect(Buffer.from(conn.forwardedDownstream).equals(joined(chunks, "response"))).toBe(true);
      }
      flushed(host);
      for (const name of names) expect(host.getCounter(name, 0), name).toBe(reference.getCounter(name, 0));
    }),
    { numRuns },
  );
}

/**
 * The property that random bytes in either direction never trap the filter
 * nor corrupt the stream: whatever went out is a prefix of what came in, in
 * order (bytes withheld at the end of a read are released when more arrive or
 * at end of stream).
 */
export async function assertRandomReadsSafe(startFilter: () => Promise<ProxyHost>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 })), { maxLength: 12 }), async (reads) => {
      const host = await startFilter();
      const conn = host.newConnection();
      for (const [request, bytes] of reads) {
        if (request) conn.callOnDownstreamData(bytes);
        else conn.callOnUpstreamData(bytes);
      }
      conn.closeDownstream();
      const sent = (request: boolean) => Buffer.concat(reads.filter(([r]) => r === request).map(([, b]) => Buffer.from(b)));
      expect(sent(true).subarray(0, conn.forwardedUpstream.length).equals(Buffer.from(conn.forwardedUpstream))).toBe(true);
      expect(sent(false).subarray(0, conn.forwardedDownstream.length).equals(Buffer.from(conn.forwardedDownstream))).toBe(true);
      expect(host.failed).toBeUndefined();
    }),
    { numRuns },
  );
}
