// The rocketmq network filter in real Envoy. A sidecar with build/rocketmq.wasm
// before tcp_proxy on its remoting listener (fail_open false), in front of the
// run's cluster-mode RocketMQ proxy, with routeRewrite naming that listener:
// the Java DefaultMQProducer / DefaultLitePullConsumer (RemotingRoundTrip) is
// given the listener as its name server, and every send, pull and heartbeat
// comes back through the sidecar. The metrics Prometheus scrapes from it equal
// what the client sent and received.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { remotingRoundTrip } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, topicRoute } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";

const N = 40;

describe("rocketmq filter in the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let sidecar: RocketMQSidecar;
  let stopStack = async () => {};

  beforeAll(async () => {
    const wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-filter",
        remotingWasm: wasm,
        remotingFilterConfig: (listeners) => ({ routeRewrite: { address: listeners.remoting } }),
      },
    );
  });
  afterAll(async () => {
    await sidecar?.stop();
    await stopStack();
  });

  it("the shared sidecar runs the project's rocketmq.wasm and counts route lookups through it", async () => {
    expect(rmq.sidecar.remotingWasm).toMatch(/build\/rocketmq\.wasm$/);
    const topic = `mqmesh-filter-route-${Date.now()}`;
    await createTopic(rmq.brokerAddr, topic, 2);
    // Observe mode: the answer is the proxy's own address, as without the filter.
    const route = await topicRoute(rmq.sidecar.remoting, topic);
    expect(route.brokerDatas.map((b) => b.brokerAddrs)).toEqual([{ "0": rmq.mode === "cluster" ? rmq.proxyRemoting : rmq.proxyGrpc }]);
    await expect.poll(() => prometheusValue(rmq.sidecar.adminUrl, "mqmesh_rocketmq_route_lookups_total", { topic }), METRIC_POLL).toBe(1);
  });

  it(`counts the ${N} messages the Java producer sent and the consumer received, per topic and group, with every request through the sidecar`, async () => {
    expect(rmq.mode, "route rewrite to one listener needs the cluster-mode proxy").toBe("cluster");
    const topic = `mqmesh-filter-${Date.now()}`;
    const group = `${topic}-group`;
    await createTopic(rmq.brokerAddr, topic);

    const events = await remotingRoundTrip(sidecar.remoting, topic, N, group);
    const sent = events.filter((e) => e.event === "sent");
    const received = events.filter((e) => e.event === "received");
    expect(sent).toHaveLength(N);
    expect(new Set(received.map((e) => e.msgId))).toEqual(new Set(sent.map((e) => e.msgId)));
    // The route answers named the sidecar: no send or pull bypassed it.
    expect(new Set([...sent, ...received].map((e) => e.brokerAddr))).toEqual(new Set([sidecar.remoting]));

    const admin = sidecar.envoy.adminUrl;
    const read = (metric: string, labels: Record<string, string> = {}) => () => prometheusValue(admin, metric, labels);
    await expect.poll(read("mqmesh_rocketmq_sent_messages_total", { topic, group: `${group}-producer` }), METRIC_POLL).toBe(N);
    await expect.poll(read("mqmesh_rocketmq_consumed_messages_total", { topic, group }), METRIC_POLL).toBe(received.length);
    await expect.poll(read("mqmesh_rocketmq_requests_total", { code: "SEND_MESSAGE_V2" }), METRIC_POLL).toBe(N);
    await expect.poll(read("mqmesh_rocketmq_responses_total", { code: "SEND_MESSAGE_V2", result: "SUCCESS" }), METRIC_POLL).toBe(N);
    await expect.poll(read("mqmesh_rocketmq_request_duration_milliseconds_count", { code: "SEND_MESSAGE_V2" }), METRIC_POLL).toBe(N);
    expect(await read("mqmesh_rocketmq_consume_requests_total", { code: "LITE_PULL_MESSAGE", topic, group })()).toBeGreaterThan(0);
    expect(await read("mqmesh_rocketmq_heartbeats_total")()).toBeGreaterThan(0);
    expect(await read("mqmesh_rocketmq_route_rewrites_total", { result: "rewritten" })()).toBeGreaterThan(0);
    expect(await read("mqmesh_rocketmq_route_rewrites_total", { result: "failed" })()).toBe(0);
    expect(await read("mqmesh_rocketmq_unparsed_frames_total")()).toBe(0);
  });
});
