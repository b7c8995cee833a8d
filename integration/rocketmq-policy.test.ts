// The RocketMQ ACL through real Envoy in front of a real name server and
// broker: a sidecar whose name server listener fronts the name server (route
// answers rewritten to its remoting listener) and whose remoting listener
// fronts the broker itself, so administration requests sent through it would
// take effect if the filter let them. With a topic and a group denied for
// everyone, raw requests naming them (listings, DELETE_TOPIC_IN_NAMESRV,
// LOCK_BATCH_MQ, topic, group and offset administration) change nothing,
// checked directly on the name server and broker, while the same request on
// an allowed topic does; `mqadmin topicList` through the sidecar does not
// show the topic; the Java producer and consumer work on an allowed topic.
// On the gRPC listener, two rocketmq-client-nodejs producers signing with
// different AccessKeys get different rights to the same topic.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenException, Producer } from "rocketmq-client-nodejs";
import { freshModule } from "../scripts/compile.ts";
import { fileLogger } from "./stack/client-logger.ts";
import { rocketmqAdmin } from "./stack/rocketmq.ts";
import { remotingRoundTrip } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, parseFastjson, remotingRequest, topicRoute } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQListeners, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";

const NO_PERMISSION = 16;
const QUEUES = 2;
const stamp = Date.now();
const secret = `mqmesh-pol-secret-${stamp}`;
const secretGroup = `mqmesh-pol-secret-group-${stamp}`;
const open = `mqmesh-pol-open-${stamp}`;
const openGroup = `mqmesh-pol-open-group-${stamp}`;
const ACL = { rules: [{ action: "deny", topics: ["mqmesh-pol-secret-*"], groups: ["mqmesh-pol-secret-*"] }] };

const request = (addr: string, code: number, ext: Record<string, string | number | boolean>, body?: object) =>
  remotingRequest(addr, code, ext, body ? { body: Buffer.from(JSON.stringify(body)) } : {});
const topicsIn = (body: Buffer): string[] => parseFastjson<{ topicList: string[] }>(body.toString("utf8")).topicList;

describe("RocketMQ policy through the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let sidecar: RocketMQSidecar;
  let stopStack = async () => {};

  beforeAll(async () => {
    const [remotingWasm, grpcWasm] = await Promise.all([
      freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" }),
      freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" }),
    ]);
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
    for (const topic of [secret, open]) await createTopic(rmq.brokerAddr, topic, QUEUES);
    for (const group of [secretGroup, openGroup]) {
      const r = await request(rmq.brokerAddr, 200, {}, { groupName: group, consumeEnable: true, consumeBroadcastEnable: true, retryQueueNums: 1, retryMaxTimes: 16, brokerId: 0, whichBrokerWhenConsumeSlowly: 1 });
      expect(r.code, `create ${group}: ${r.remark ?? ""}`).toBe(0);
    }
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.brokerAddr, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-policy",
        remotingWasm,
        remotingFilterConfig: { acl: ACL },
        namesrvFilterConfig: (l: RocketMQListeners) => ({ acl: ACL, routeRewrite: { address: l.remoting } }),
        grpcWasm,
        grpcFilterConfig: { acl: { rules: [...ACL.rules, { action: "deny", principals: ["user:ak-audit"], topics: [open], operations: ["route"] }] } },
      },
    );
  }, 300_000);
  afterAll(async () => {
    await sidecar?.stop();
    await stopStack();
  });

  it("listings through the sidecar leave the denied topic out; the name server itself lists it", async () => {
    for (const [code, ext] of [[206, {}], [224, { cluster: rmq.clusterName }]] as const) {
      const direct = await request(rmq.namesrv, code, ext);
      expect(topicsIn(direct.body), `${code} direct`).toEqual(expect.arrayContaining([secret, open]));
      const through = await request(sidecar.namesrv, code, ext);
      expect(through.code).toBe(0);
      expect(topicsIn(through.body), `${code} through the sidecar`).toEqual(topicsIn(direct.body).filter((t) => t !== secret));
    }
    const listed = await rocketmqAdmin(["topicList", "-n", sidecar.namesrv]);
    const lines = listed.stdout.split("\n").map((l) => l.trim());
    expect(lines).toContain(open);
    expect(lines).not.toContain(secret);
  });

  it("DELETE_TOPIC_IN_NAMESRV on the denied topic is refused and its route stays", async () => {
    const r = await request(sidecar.namesrv, 216, { topic: secret, clusterName: rmq.clusterName });
    expect([r.code, r.remark]).toEqual([NO_PERMISSION, `mqmesh: Delete on topic ${secret} denied by the sidecar's ACL`]);
    expect((await topicRoute(rmq.namesrv, secret)).queueDatas[0].writeQueueNums).toBe(QUEUES);
  });

  it("LOCK_BATCH_MQ on the denied topic is refused: its owner still locks the queue; on an allowed topic the lock is taken", async () => {
    const lock = (addr: string, topic: string, group: string, clientId: string) =>
      request(addr, 41, {}, { consumerGroup: group, clientId, onlyThisBroker: false, mqSet: [{ topic, brokerName: rmq.brokerName, queueId: 0 }] });
    const refused = await lock(sidecar.remoting, secret, openGroup, "intruder");
    expect(refused.code).toBe(NO_PERMISSION);
    const owner = await lock(rmq.brokerAddr, secret, openGroup, "owner");
    expect(owner.body.toString()).toContain(secret); // lockOKMQSet: nobody else held it
    const allowed = await lock(sidecar.remoting, open, openGroup, "intruder");
    expect([allowed.code, allowed.body.toString().includes(open)]).toEqual([0, true]);
    expect((await lock(rmq.brokerAddr, open, openGroup, "owner")).body.toString()).not.toContain(open);
  });

  it("topic, group and offset administration naming the denied topic or group changes nothing on the broker", async () => {
    const offset = (topic: string, group: string) => request(rmq.brokerAddr, 14, { consumerGroup: group, topic, queueId: 0 });
    const admin: [string, number, Record<string, string | number | boolean>, object?][] = [
      ["UPDATE_AND_CREATE_TOPIC", 17, { topic: secret, defaultTopic: "TBW102", readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false }],
      ["DELETE_TOPIC_IN_BROKER", 215, { topic: secret }],
      ["UPDATE_CONSUMER_OFFSET", 15, { consumerGroup: openGroup, topic: secret, queueId: 0, commitOffset: 5 }],
      ["UPDATE_CONSUMER_OFFSET", 15, { consumerGroup: secretGroup, topic: open, queueId: 0, commitOffset: 5 }],
      ["INVOKE_BROKER_TO_RESET_OFFSET", 222, { topic: secret, group: openGroup, timestamp: 0, isForce: true }],
      ["UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", 200, {}, { groupName: secretGroup, consumeEnable: false }],
      ["DELETE_SUBSCRIPTIONGROUP", 207, { groupName: secretGroup, cleanOffset: true }],
    ];
    for (const [name, code, ext, body] of admin) {
      const r = await request(sidecar.remoting, code, ext, body);
      expect([name, r.code]).toEqual([name, NO_PERMISSION]);
    }
    // Checked on the broker directly: GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG, QUERY_CONSUMER_OFFSET.
    const topics = parseFastjson((await request(rmq.brokerAddr, 21, {})).body.toString()).topicConfigTable;
    expect([topics[secret]?.writeQueueNums, topics[secret]?.perm]).toEqual([QUEUES, 6]);
    const groups = parseFastjson((await request(rmq.brokerAddr, 201, {})).body.toString()).subscriptionGroupTable;
    expect(groups[secretGroup]?.consumeEnable).toBe(true);
    for (const [t, g] of [[secret, openGroup], [open, secretGroup]]) expect(Number((await offset(t, g)).extFields.offset ?? -1)).not.toBe(5);
    // The same offset update on allowed names takes effect through the sidecar.
    expect((await request(sidecar.remoting, 15, { consumerGroup: openGroup, topic: open, queueId: 0, commitOffset: 5 })).code).toBe(0);
    expect(Number((await offset(open, openGroup)).extFields.offset)).toBe(5);
  });

  it("the Java producer and consumer work on an allowed topic through the sidecar", async () => {
    const events = await remotingRoundTrip(sidecar.namesrv, open, 3, `${openGroup}-java`);
    const done = events.find((e) => e.event === "done");
    expect([done?.sent, done?.received]).toEqual([3, 3]);
    expect(new Set(events.filter((e) => e.event === "sent").map((e) => e.brokerAddr))).toEqual(new Set([sidecar.remoting]));
  }, 180_000);

  it("two gRPC producers with different AccessKeys get different rights to the same topic", async () => {
    const send = async (accessKey: string) => {
      const producer = new Producer({
        endpoints: sidecar.grpc, namespace: "", sessionCredentials: { accessKey, accessSecret: "s" }, maxAttempts: 1,
        logger: fileLogger(`policy-${accessKey}`),
      });
      await producer.startup();
      try {
        await producer.send({ topic: open, tag: "t", keys: ["k"], body: Buffer.from(accessKey) });
        return "sent";
      } catch (e) {
        return e instanceof ForbiddenException ? "forbidden" : String(e);
      } finally {
        await producer.shutdown();
      }
    };
    expect(await send("ak-orders")).toBe("sent");
    expect(await send("ak-audit")).toBe("forbidden");
  }, 120_000);
});
