// Token buckets in shared data (assembly/common/shared_buckets.ts), through
// the host emulator: workers are ProxyHosts loaded with one SharedState, as
// Envoy's worker threads share one store per vm_id. What one bucket allows
// comes from the reference model (ref_bucket.ts), not from the module.
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyHost, SharedState } from "../host/index.ts";
import { fixture } from "../sdk/fixtures.ts";
import { G, Mode, RefBucket } from "./ref_bucket.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await fixture("limits_host");
}, 120_000);

async function worker(shared: SharedState, config: object = {}): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { shared, vmId: "mqmesh", pluginConfig: JSON.stringify(config), startTimeMs: 1_000_000 });
}

interface Take { admitted: boolean; waitNs: bigint; lost: number; retries: number; overflow: number }

// One command on a connection of `host`; the answer is the log line it wrote.
function take(host: ProxyHost, key: string, n: number, perSecond: number, burstSeconds: number, mode: Mode): Take {
  const before = host.logs.length;
  host.newConnection().callOnDownstreamData(`take ${key} ${n} ${perSecond} ${burstSeconds} ${mode}`);
  const line = host.logs.slice(before).find((l) => l.message.startsWith(`take ${key} `));
  if (!line) throw new Error(`no answer to take ${key}; logs:\n${host.logText()}`);
  const f = Object.fromEntries(line.message.split(" ").slice(2).map((kv) => kv.split("=")));
  return { admitted: f.admitted === "1", waitNs: BigInt(f.waitNs), lost: Number(f.lost), retries: Number(f.retries), overflow: Number(f.overflow) };
}

function giveBack(host: ProxyHost, key: string, n: number, perSecond: number, burstSeconds: number): boolean {
  const before = host.logs.length;
  host.newConnection().callOnDownstreamData(`giveback ${key} ${n} ${perSecond} ${burstSeconds}`);
  const line = host.logs.slice(before).find((l) => l.message.startsWith(`giveback ${key} `));
  if (!line) throw new Error(`no answer to giveback ${key}; logs:\n${host.logText()}`);
  return line.message.endsWith("given=1");
}

function advance(hosts: ProxyHost[], ms: number): void {
  for (const h of hosts) h.advanceTime(ms);
}

const nowNs = (h: ProxyHost) => BigInt(h.nowMs) * 1_000_000n;

/** The i-th take on `host`, checked against the reference bucket taking the same at the same time. */
function takeAsRef(host: ProxyHost, ref: RefBucket, i: number, key: string, n: number, perSecond: number, burstSeconds: number): Take {
  const got = take(host, key, n, perSecond, burstSeconds, Mode.IfAvailable);
  const want = ref.take(nowNs(host), BigInt(n), Mode.IfAvailable);
  expect({ i, admitted: got.admitted, waitNs: got.waitNs }).toEqual({ i, admitted: want.admitted, waitNs: want.waitNs });
  return got;
}

describe("shared token buckets", () => {
  it("two workers draw from one bucket: together they get what one bucket allows", async () => {
    const shared = new SharedState();
    const hosts = [await worker(shared), await worker(shared)];
    const ref = new RefBucket(100n, 2n * G); // 100/s, 2 s burst
    let admitted = 0;
    for (let i = 0; i < 600; i++) {
      const h = hosts[i % 2];
      const n = 1 + (i % 7);
      const got = takeAsRef(h, ref, i, "orders|alice", n, 100, 2);
      if (got.admitted) admitted += n;
      if (i % 3 === 0) advance(hosts, 17);
    }
    // 600 takes over 3.4 s at 100/s plus the 200-token burst: the limit bound, not the demand
    expect(admitted).toBeLessThanOrEqual(200 + 100 * 3.4 + 1);
    expect(admitted).toBeGreaterThan(400);
  });

  it("a worker whose read is overtaken retries its compare-and-swap, and nothing is lost", async () => {
    const shared = new SharedState();
    const [a, b] = [await worker(shared), await worker(shared)];
    const ref = new RefBucket(10n, 1n * G);
    let interleaved = 0;
    const results: Take[] = [];
    for (let i = 0; i < 40; i++) {
      // B takes between A's read of the slot and A's write, on a fresh bucket (a create race) and later ones.
      a.afterHostCall("proxy_get_shared_data", () => {
        interleaved++;
        const got = take(b, "k", 1, 10, 1, Mode.Deficit);
        expect(got.waitNs).toBe(ref.take(nowNs(b), 1n, Mode.Deficit).waitNs);
      });
      const got = take(a, "k", 2, 10, 1, Mode.Deficit);
      expect(got.waitNs).toBe(ref.take(nowNs(a), 2n, Mode.Deficit).waitNs);
      results.push(got);
      advance([a, b], 50);
    }
    expect(interleaved).toBe(40);
    const last = results[results.length - 1];
    expect(last.retries).toBe(40); // each of A's takes lost one race and retried
    expect(last.lost).toBe(0);
  });

  it("bounds the keys: a fixed pool of slots, and a key in debt never gets a fresh bucket", async () => {
    const shared = new SharedState();
    const host = await worker(shared, { maxKeys: 8 });
    // alice goes into debt: 10 tokens at 1/s with a 1 s burst owe 9 s
    expect(take(host, "alice", 10, 1, 1, Mode.Deficit).waitNs).toBe(9n * G);
    // 200 other principals come and go, each taking a full burst
    for (let i = 0; i < 200; i++) take(host, `client-${i}`, 1, 1, 1, Mode.Deficit);
    const keys = [...shared.entries("mqmesh").keys()];
    expect(keys.filter((k) => k.startsWith("limits.test/")).length).toBeLessThanOrEqual(8 + 1); // slots + the rule's overflow bucket
    // alice still owes: 9 s of debt minus the time that passed (none)
    const again = take(host, "alice", 1, 1, 1, Mode.IfAvailable);
    expect(again.admitted).toBe(false);
    expect(again.waitNs).toBe(10n * G);
    expect(again.overflow).toBeGreaterThan(0); // the others shared the overflow bucket
  });

  it("reuses the slot of a full bucket: it is the same as a fresh one", async () => {
    const shared = new SharedState();
    const host = await worker(shared, { maxKeys: 1 });
    expect(take(host, "alice", 1, 1, 1, Mode.IfAvailable).admitted).toBe(true);
    // alice's bucket is not full yet: bob cannot have the only slot and goes to the overflow bucket
    const bob = take(host, "bob", 1, 1, 1, Mode.IfAvailable);
    expect(bob.overflow).toBe(1);
    host.advanceTime(1000); // alice's bucket is full again
    const carol = take(host, "carol", 1, 1, 1, Mode.IfAvailable);
    expect(carol.admitted).toBe(true);
    expect(carol.overflow).toBe(1); // carol got the slot
    const stored = host.sharedData.get("limits.test/0")!.value;
    expect(new TextDecoder().decode(stored.subarray(17))).toBe("carol");
    // and carol's bucket is her own: a second take inside the second is refused
    expect(take(host, "carol", 1, 1, 1, Mode.IfAvailable).admitted).toBe(false);
  });

  it("gives back an admitted take as if it had not happened, whichever worker took", async () => {
    const shared = new SharedState();
    const hosts = [await worker(shared), await worker(shared)];
    const ref = new RefBucket(10n, 1n * G); // 10/s, 1 s burst
    let given = 0;
    for (let i = 0; i < 120; i++) {
      const h = hosts[i % 2];
      const n = 1 + (i % 4);
      const got = takeAsRef(h, ref, i, "alice", n, 10, 1);
      // Every third admitted take is refused by some other limit: it goes back.
      if (got.admitted && i % 3 === 0) {
        expect(giveBack(h, "alice", n, 10, 1)).toBe(true);
        ref.giveBack(nowNs(h), BigInt(n));
        given++;
      }
      advance(hosts, 37);
    }
    expect(given).toBeGreaterThan(10);
  });

  it("gives back to the overflow bucket a take went to; a refused take has nothing to give back", async () => {
    const host = await worker(new SharedState(), { maxKeys: 1 });
    expect(take(host, "alice", 1, 1, 1, Mode.IfAvailable).admitted).toBe(true); // alice holds the only slot
    const bob = take(host, "bob", 1, 1, 1, Mode.IfAvailable);
    expect([bob.admitted, bob.overflow]).toEqual([true, 1]);
    expect(take(host, "bob", 1, 1, 1, Mode.IfAvailable).admitted).toBe(false); // the overflow bucket is empty
    expect(giveBack(host, "bob", 1, 1, 1)).toBe(true);
    expect(take(host, "bob", 1, 1, 1, Mode.IfAvailable).admitted).toBe(true);
    expect(giveBack(host, "carol", 1, 1, 1)).toBe(false); // carol never took
  });
});
