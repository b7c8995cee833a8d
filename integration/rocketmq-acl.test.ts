// Topic ACLs of the rocketmq network filter in real Envoy. A sidecar of its
// own (build/rocketmq.wasm before tcp_proxy, fail_open false) in front of the
// run's cluster-mode RocketMQ proxy, with routeRewrite naming its listener so
// every send comes back through it, and an ACL denying sends to one topic
// prefix and consumption of another. The real Java DefaultMQProducer
// (integration/java/RemotingSend.java) gets the permission error RocketMQ
// clients know (code 16, NO_PERMISSION, with the sidecar's remark) for the
// denied topic, and sends to an allowed topic work through the same sidecar;
// the broker holds none of the denied messages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { remotingSend, type SendEvent } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, remotingRequest, storedMessages } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";

const NO_PERMISSION = 16;
const PULL_MESSAGE = 11;
const QUEUES = 2;

const stamp = Date.now();
const deniedTopic = `mqmesh-acl-denied-${stamp}`;
const allowedTopic = `mqmesh-acl-allowed-${stamp}`;
const unreadTopic = `mqmesh-acl-noread-${stamp}`;

describe("rocketmq filter topic ACLs in the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let sidecar: RocketMQSidecar;
  let stopStack = async () => {};

  beforeAll(async () => {
    const wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
    for (const topic of [deniedTopic, allowedTopic, unreadTopic]) await createTopic(rmq.brokerAddr, topic, QUEUES);
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-acl",
        remotingWasm: wasm,
        remotingFilterConfig: (listeners) => ({
          routeRewrite: { address: listeners.remoting },
          acl: {
            defaultAction: "allow",
            rules: [
              { action: "deny", topics: ["mqmesh-acl-denied-*"], operations: ["send"] },
              { action: "deny", topics: ["mqmesh-acl-noread-*"], operations: ["consume"] },
            ],
          },
        }),
      },
    );
  });
  afterAll(async () => {
    await sidecar?.stop();
    await stopStack();
  });

  it("the Java producer gets NO_PERMISSION (code 16) with the sidecar's remark for a denied topic, while an allowed topic works through the same sidecar", async () => {
    expect(rmq.mode, "route rewrite to one listener needs the cluster-mode proxy").toBe("cluster");
    const denied = await remotingSend(sidecar.remoting, deniedTopic, 2, `${deniedTopic}-producer`);
    const errors = denied.filter((e): e is Extract<SendEvent, { event: "error" }> => e.event === "error");
    expect(denied.filter((e) => e.event === "sent")).toEqual([]);
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      // DefaultMQProducer retries NO_PERMISSION (retryTimesWhenSendFailed, 2), then gives up
      // with MQClientException carrying the broker's code and the MQBrokerException as cause.
      expect(e.exception).toBe("org.apache.rocketmq.client.exception.MQClientException");
      expect(e.responseCode).toBe(NO_PERMISSION);
      expect(e.message).toMatch(new RegExp(`^Send \\[3\\] times, still failed, cost \\[\\d+\\]ms, Topic: ${deniedTopic}, BrokersSent: `));
      expect(e.cause).toBe("org.apache.rocketmq.client.exception.MQBrokerException");
      expect(e.causeResponseCode).toBe(NO_PERMISSION);
      expect(e.causeMessage).toContain(`CODE: 16  DESC: mqmesh: Pub on topic ${deniedTopic} denied by the sidecar's ACL`);
    }

    const allowed = await remotingSend(sidecar.remoting, allowedTopic, 5, `${allowedTopic}-producer`);
    const sent = allowed.filter((e) => e.event === "sent");
    expect(allowed.filter((e) => e.event === "error")).toEqual([]);
    expect(sent).toHaveLength(5);
    // Sent through the sidecar, not around it.
    expect(new Set(sent.map((e) => e.brokerAddr))).toEqual(new Set([sidecar.remoting]));

    // The broker holds the allowed messages and none of the denied ones.
    expect(await storedMessages(rmq.brokerAddr, allowedTopic, QUEUES)).toBe(5);
    expect(await storedMessages(rmq.brokerAddr, deniedTopic, QUEUES)).toBe(0);

    const admin = sidecar.envoy.adminUrl;
    // 2 sends x 3 attempts, each answered NO_PERMISSION by the filter.
    await expect.poll(() => prometheusValue(admin, "mqmesh_rocketmq_denied_requests_total", { code: "SEND_MESSAGE_V2", topic: deniedTopic }), METRIC_POLL).toBe(6);
    await expect.poll(() => prometheusValue(admin, "mqmesh_rocketmq_responses_total", { code: "SEND_MESSAGE_V2", result: "NO_PERMISSION" }), METRIC_POLL).toBe(6);
    expect(await prometheusValue(admin, "mqmesh_rocketmq_denied_requests_total", { topic: allowedTopic })).toBe(0);
  });

  it("a pull from a topic denied for consume is answered NO_PERMISSION by the sidecar; sends to that topic still go through", async () => {
    const pull = (topic: string) => remotingRequest(sidecar.remoting, PULL_MESSAGE, {
      consumerGroup: `${topic}-group`, topic, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: "*", subVersion: 0,
    });
    const denied = await pull(unreadTopic);
    expect([denied.code, denied.remark]).toEqual([NO_PERMISSION, `mqmesh: Sub on topic ${unreadTopic} denied by the sidecar's ACL`]);
    // Sends to that topic are not denied (only consume is).
    const sent = await remotingSend(sidecar.remoting, unreadTopic, 1, `${unreadTopic}-producer`);
    expect(sent.filter((e) => e.event === "sent")).toHaveLength(1);
    await expect.poll(() => prometheusValue(sidecar.envoy.adminUrl, "mqmesh_rocketmq_denied_requests_total", { code: "PULL_MESSAGE", topic: unreadTopic }), METRIC_POLL).toBe(1);
  });
});
