// The SDK's network-filter wrappers, driven through the network_frames
// fixture in the host emulator as Envoy would drive them.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyHost } from "../host/index.ts";
import { concat, fixture, frame, startFixture } from "./fixtures.ts";

beforeAll(() => fixture("network_frames"));

const config = (maxFrame: number) => JSON.stringify({ maxFrame });
const start = (maxFrame = 1024, properties: Record<string, string> = { "source.address": "127.0.0.1:5555" }) =>
  startFixture("network_frames", { pluginConfig: config(maxFrame), properties });

describe("configuration", () => {
  it.each(["", "{}", '{"maxFrame":0}', '{"maxFrame":-1}', '{"maxFrame":"64"}', '{"maxFrame":4294967296}', '{"maxFrame":64', "not json"])(
    "rejects %j and says maxFrame is what is wrong",
    async (bad) => {
      const host = await ProxyHost.load(await fixture("network_frames"), { pluginConfig: bad });
      expect(host.startVm()).toBe(true);
      expect(host.configure()).toBe(false);
      expect(host.logsAt("error").some((m) => m.includes("maxFrame"))).toBe(true);
    },
  );

  it("accepts a positive maxFrame with JSON whitespace", async () => {
    const host = await ProxyHost.load(await fixture("network_frames"), { pluginConfig: ' { "maxFrame" : 64 } ' });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(true);
    expect(host.logsAt("error")).toEqual([]);
  });
});

describe("data", () => {
  it("counts bytes per direction and forwards them unchanged", async () => {
    const host = await start();
    const conn = host.newConnection();
    const request = concat(frame(5), frame(0));
    expect(conn.callOnDownstreamData(request)).toBe("continue");
    expect(conn.callOnUpstreamData("pong!")).toBe("continue");
    expect(conn.callOnUpstreamData("more")).toBe("continue");
    expect(host.getCounter("fixture_downstream_bytes")).toBe(request.length);
    expect(host.getCounter("fixture_upstream_bytes")).toBe(9);
    expect(conn.forwardedUpstream).toEqual(request);
    expect(new TextDecoder().decode(conn.forwardedDownstream)).toBe("pong!more");
  });

  it("records several frames arriving in one read", async () => {
    const host = await start();
    const conn = host.newConnection();
    expect(conn.callOnDownstreamData(concat(frame(3), frame(100), frame(0), frame(7)))).toBe("continue");
    expect(host.getCounter("fixture_frames")).toBe(4);
    expect(host.getHistogram("fixture_frame_size")).toEqual([3, 100, 0, 7]);
  });

  it("pauses until a frame is complete, at every split point, and passes bytes through exactly", async () => {
    const host = await start();
    const stream = concat(frame(6), frame(1));
    for (let cut = 1; cut < stream.length; cut++) {
      const conn = host.newConnection();
      const first = conn.callOnDownstreamData(stream.subarray(0, cut));
      // The buffer ends inside a frame unless the cut falls on the frame boundary (after 10 bytes).
      expect(first).toBe(cut === 10 ? "continue" : "pause");
      expect(conn.forwardedUpstream.length).toBe(cut === 10 ? 10 : 0);
      expect(conn.callOnDownstreamData(stream.subarray(cut))).toBe("continue");
      expect(conn.forwardedUpstream).toEqual(stream);
      conn.closeDownstream();
    }
    expect(host.getCounter("fixture_frames")).toBe(2 * (stream.length - 1));
  });

  it("for arbitrary frames split arbitrarily: same bytes out, every frame counted once, pause iff mid-frame", async () => {
    const host = await start(4096);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (sizes, cutSeeds) => {
          const framesBefore = host.getCounter("fixture_frames", 0);
          const histBefore = host.getHistogram("fixture_frame_size", []).length;
          const bytesBefore = host.getCounter("fixture_downstream_bytes", 0);
          const data = concat(...sizes.map((n) => frame(n)));
          const boundaries = new Set<number>();
          let off = 0;
          for (const n of sizes) boundaries.add((off += 4 + n));
          const cuts = [...new Set(cutSeeds.map((s) => 1 + (s % (data.length - 1))))].sort((a, b) => a - b);
          const conn = host.newConnection();
          let prev = 0;
          for (const cut of [...cuts, data.length]) {
            const action = conn.callOnDownstreamData(data.subarray(prev, cut));
            expect(action).toBe(boundaries.has(cut) ? "continue" : "pause");
            prev = cut;
          }
          expect(conn.forwardedUpstream).toEqual(data);
          expect(host.getCounter("fixture_frames") - framesBefore).toBe(sizes.length);
          expect(host.getHistogram("fixture_frame_size").slice(histBefore)).toEqual(sizes);
          expect(host.getCounter("fixture_downstream_bytes") - bytesBefore).toBe(data.length);
          conn.closeDownstream();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("closes the connection on a frame longer than maxFrame, forwarding nothing of it", async () => {
    const host = await start(16);
    const conn = host.newConnection();
    expect(conn.callOnDownstreamData(frame(16))).toBe("continue");
    conn.callOnDownstreamData(concat(frame(17).subarray(0, 4)));
    expect(conn.closedByFilter).toBe("downstream");
    expect(conn.closed).toBe(true);
    expect(conn.forwardedUpstream).toEqual(frame(16));
    expect(host.logsAt("warn").some((m) => m.includes("17") && m.includes("maxFrame"))).toBe(true);
    expect(host.getGauge("fixture_open_connections")).toBe(0);
    expect(() => conn.callOnDownstreamData(frame(1))).toThrow(/closed/);
  });
});

describe("metrics, timers, queues, properties", () => {
  it("tracks open connections in a gauge", async () => {
    const host = await start();
    const a = host.newConnection();
    const b = host.newConnection();
    expect(host.getGauge("fixture_open_connections")).toBe(2);
    a.closeDownstream();
    expect(host.getGauge("fixture_open_connections")).toBe(1);
    b.closeDownstream("local");
    expect(host.getGauge("fixture_open_connections")).toBe(0);
  });

  it("ticks every 1000 ms once configured", async () => {
    const host = await start();
    expect(host.tickPeriodMs).toBe(1000);
    host.tick();
    expect(host.getCounter("fixture_ticks")).toBe(1);
    host.advanceTime(2999);
    expect(host.getCounter("fixture_ticks")).toBe(3);
    host.advanceTime(1);
    expect(host.getCounter("fixture_ticks")).toBe(4);
  });

  it("enqueues each frame size and drains the queue on queue-ready", async () => {
    const host = await start();
    const conn = host.newConnection();
    conn.callOnDownstreamData(concat(frame(2), frame(9), frame(4)));
    expect(host.getCounter("fixture_queued_frames")).toBe(3);
    expect(host.queueItems("frames")).toEqual([]);
    // Another worker enqueues: the root context that registered the queue is woken.
    host.enqueue("frames", new Uint8Array([1, 0, 0, 0]));
    expect(host.getCounter("fixture_queued_frames")).toBe(4);
  });

  it("reads the source.address property of each connection", async () => {
    const host = await start(1024, { "source.address": "127.0.0.1:5555" });
    host.newConnection();
    host.newConnection({ properties: { "source.address": "10.1.2.3:40000" } });
    expect(host.logsAt("info")).toEqual([
      "network_frames: new connection from 127.0.0.1:5555",
      "network_frames: new connection from 10.1.2.3:40000",
    ]);
  });

  it("reports an unknown source address when Envoy has none", async () => {
    const host = await start(1024, {});
    host.newConnection();
    expect(host.logsAt("info")).toEqual(["network_frames: new connection from unknown"]);
  });
});
