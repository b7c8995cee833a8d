// Per-worker chunks taken ahead from a shared bucket
// (assembly/common/bucket_leases.ts), through the host emulator: what a
// client is told is checked against the reference bucket (ref_bucket.ts)
// charged the same amounts at the same times, and the shared-data writes are
// counted at the host.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyHost, SharedState } from "../host/index.ts";
import { fixture } from "../sdk/fixtures.ts";
import { G, Mode, RefBucket } from "./ref_bucket.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await fixture("limits_host");
}, 120_000);

const worker = (shared: SharedState) => ProxyHost.start(wasm, { shared, vmId: "mqmesh", pluginConfig: "{}", startTimeMs: 1_000_000 });
const nowNs = (h: ProxyHost) => BigInt(h.nowMs) * 1_000_000n;
// How long a chunk is spent from, and so the most a chunk can hold: 20 ms of the rate.
const LEASE_NS = 20_000_000n;

// A deficit-model charge (Kafka's quota model): the wait the client is told.
function charge(host: ProxyHost, key: string, n: number, perSecond: number, burstSeconds: number): bigint {
  const before = host.logs.length;
  host.newConnection().callOnDownstreamData(`charge ${key} ${n} ${perSecond} ${burstSeconds}`);
  const line = host.logs.slice(before).find((l) => l.message.startsWith(`charge ${key} `));
  if (!line) throw new Error(`no answer to charge ${key}; logs:\n${host.logText()}`);
  return BigInt(line.message.split("waitNs=")[1]);
}

function countWrites(host: ProxyHost): () => number {
  let writes = 0;
  host.afterHostCall("proxy_set_shared_data", () => writes++, { once: false });
  return () => writes;
}

describe("bucket leases", () => {
  it("a quota far above the traffic is charged from chunks: few shared-data writes, no wait", async () => {
    const host = await worker(new SharedState());
    const writes = countWrites(host);
    for (let i = 0; i < 2000; i++) {
      expect(charge(host, "bench", 16_384, 1_000_000_000, 1)).toBe(0n);
      host.advanceTime(1);
    }
    // 2 s of charges: a chunk per 20 ms and the rest of the last one given
    // back, where a take per charge would be 2000 writes.
    expect(writes()).toBeLessThanOrEqual(2 * (2000 / 20) + 2);
  });

  it("one worker: never a shorter wait than one exact bucket, and at most a chunk's worth longer", async () => {
    // 1e6 tokens/s (1 µs each, exact in ns; chunks of 20000), a 0.1 s burst;
    // charges of 1..1250 tokens (all served from chunks) every 0 or 1 ms
    // (about twice the rate), and now and then a pause of 25 ms (a chunk goes
    // stale with tokens left).
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 1250 }), fc.oneof({ arbitrary: fc.constantFrom(0, 0, 1), weight: 200 }, { arbitrary: fc.constant(25), weight: 1 })), { minLength: 1000, maxLength: 1500 }), async (steps) => {
        const host = await worker(new SharedState());
        const ref = new RefBucket(1_000_000n, G / 10n);
        for (const [n, ms] of steps) {
          const got = charge(host, "alice", n, 1_000_000, 0.1);
          const want = ref.take(nowNs(host), BigInt(n), Mode.Deficit).waitNs;
          expect(got).toBeGreaterThanOrEqual(want);
          expect(got).toBeLessThanOrEqual(want + LEASE_NS);
          host.advanceTime(ms);
        }
      }),
      { numRuns: 20 },
    );
  });

  it("two workers whose clients honour the wait get together what one bucket allows", async () => {
    const shared = new SharedState();
    const hosts = [await worker(shared), await worker(shared)];
    const rate = 1_000_000; // chunks of 20000 tokens: 20 requests each
    const n = 1000;
    // Each client sends n tokens, then waits what it is told (at least 1 ms) before the next.
    const nextAt = [0, 0];
    let sent = 0;
    for (let t = 0; t < 3000; t++) {
      for (const w of [0, 1]) {
        if (t < nextAt[w]) continue;
        const wait = charge(hosts[w], "orders", n, rate, 1);
        sent += n;
        nextAt[w] = t + Math.max(1, Math.ceil(Number(wait) / 1e6));
      }
      for (const h of hosts) h.advanceTime(1);
    }
    // 3 s at the rate plus the 1 s burst; the last request of each client may
    // be one over (the deficit model admits it and throttles after).
    const allowed = rate * 3 + rate;
    expect(sent).toBeLessThanOrEqual(allowed + 2 * n);
    expect(sent).toBeGreaterThanOrEqual(allowed * 0.95);
  });
});
