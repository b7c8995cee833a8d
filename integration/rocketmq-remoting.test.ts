// RocketMQ remoting clients (the Java DefaultMQProducer / DefaultLitePullConsumer
// in integration/java/RemotingRoundTrip.java) through the Envoy sidecar.
//
// The Java client is given one address only: a sidecar listener as its name
// server. Where its sends and pulls then go is whatever the route answer names
// (stack/rocketmq.ts), and with RocketMQ 5.3.3 that is never the sidecar:
// - cluster mode (the stack's default): the client uses the sidecar's remoting
//   listener (-> the proxy's remoting port). The proxy answers routes with
//   <remotingAccessAddr>:<remotingListenPort>, its own listening port
//   (GetTopicRouteActivity; remotingAccessAddr is a host, the port cannot be
//   set apart from the listen port), so sends and pulls go to the proxy
//   directly.
// - local mode: the proxy's route answer names its gRPC port, which remoting
//   clients cannot use, so the client uses the sidecar's name server listener;
//   the name server names the broker's own port, so sends and pulls go to the
//   broker directly.
// Both bypasses are asserted below, so this test fails (and is updated) when
// the rocketmq filter rewrites route info to the sidecar's address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remotingRoundTrip } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, topicRoute } from "./stack/rocketmq-remoting.ts";
import { envoyStats } from "./support/envoy-metrics.ts";

const N = 50;

describe("RocketMQ remoting through the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let stopStack = async () => {};
  beforeAll(async () => {
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
  });
  afterAll(async () => stopStack());

  it(`a Java producer sends ${N} messages and a Java consumer receives exactly those, name server = a sidecar listener`, async () => {
    const topic = `mqmesh-remoting-${Date.now()}`;
    await createTopic(rmq.brokerAddr, topic);
    const cluster = rmq.mode === "cluster";
    const [namesrv, stat] = cluster ? [rmq.sidecar.remoting, "tcp.rocketmq_remoting"] : [rmq.sidecar.namesrv, "tcp.rocketmq_namesrv"];
    const before = await envoyStats(rmq.sidecar.adminUrl, stat);

    const events = await remotingRoundTrip(namesrv, topic, N, `${topic}-group`);

    const expected = Array.from({ length: N }, (_, i) => ({ key: `k-${i}`, tag: `tag-${i % 3}`, body: `${topic}-body-${i}` }));
    const sent = events.filter((e) => e.event === "sent");
    const received = events.filter((e) => e.event === "received");
    expect(sent.map(({ key, tag, body }) => ({ key, tag, body }))).toEqual(expected);
    const byKey = (a: { key?: string }, b: { key?: string }) => Number(a.key!.slice(2)) - Number(b.key!.slice(2));
    expect(received.map(({ key, tag, body }) => ({ key, tag, body })).sort(byKey)).toEqual(expected);
    expect(new Set(received.map((e) => e.msgId))).toEqual(new Set(sent.map((e) => e.msgId)));

    // Route lookups (one name server connection each for producer and
    // consumer) went through the sidecar …
    const after = await envoyStats(rmq.sidecar.adminUrl, stat);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const via = Object.fromEntries(["downstream_cx_total", "downstream_cx_rx_bytes_total", "downstream_cx_tx_bytes_total"].map((k) => [k, delta(k)]));
    console.log(`remoting through the sidecar (${rmq.mode} mode, ${stat}): ${JSON.stringify(via)}`);
    expect(via.downstream_cx_total).toBeGreaterThan(0);
    expect(via.downstream_cx_rx_bytes_total).toBeGreaterThan(0);
    expect(via.downstream_cx_tx_bytes_total).toBeGreaterThan(0);
    // … but the route names a server port, not the sidecar: every send and
    // every pull bypasses it (the proxy's remoting port in cluster mode, the
    // broker in local mode).
    const direct = cluster ? rmq.proxyRemoting : rmq.brokerAddr;
    expect(new Set(sent.map((e) => e.brokerAddr))).toEqual(new Set([direct]));
    expect(new Set(received.map((e) => e.brokerAddr))).toEqual(new Set([direct]));
  });

  it("route answers through the sidecar's listeners name server ports, never the sidecar", async () => {
    const topic = `mqmesh-remoting-route-${Date.now()}`;
    await createTopic(rmq.brokerAddr, topic, 2);
    const before = { remoting: await envoyStats(rmq.sidecar.adminUrl, "tcp.rocketmq_remoting"), namesrv: await envoyStats(rmq.sidecar.adminUrl, "tcp.rocketmq_namesrv") };
    const queues = [expect.objectContaining({ brokerName: rmq.brokerName, readQueueNums: 2, writeQueueNums: 2 })];

    // The proxy's remoting port: its own remoting address (cluster), its gRPC port (local).
    const viaProxy = await topicRoute(rmq.sidecar.remoting, topic);
    expect(viaProxy.queueDatas).toEqual(queues);
    expect(viaProxy.brokerDatas.map((b) => b.brokerAddrs)).toEqual([{ "0": rmq.mode === "cluster" ? rmq.proxyRemoting : rmq.proxyGrpc }]);
    // The name server: the broker's own port.
    const viaNamesrv = await topicRoute(rmq.sidecar.namesrv, topic);
    expect(viaNamesrv.queueDatas).toEqual(queues);
    expect(viaNamesrv.brokerDatas.map((b) => b.brokerAddrs)).toEqual([{ "0": rmq.brokerAddr }]);

    expect((await envoyStats(rmq.sidecar.adminUrl, "tcp.rocketmq_remoting")).downstream_cx_total).toBe((before.remoting.downstream_cx_total ?? 0) + 1);
    expect((await envoyStats(rmq.sidecar.adminUrl, "tcp.rocketmq_namesrv")).downstream_cx_total).toBe((before.namesrv.downstream_cx_total ?? 0) + 1);
  });
});
