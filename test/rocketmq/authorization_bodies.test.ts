// Resources in request bodies (heartbeats, queue locks, batch acks, topic and
// group admin) against what the broker itself reads from the same bytes: the
// bodies go through RocketMQ's fastjson decoding (the bean classes of the
// 5.3 jar), and the mesh must judge every topic and group the broker would
// act on, including the spellings fastjson's lenient matching accepts. Where
// RocketMQ's own authorization reads the body (HEART_BEAT, LOCK_BATCH_MQ,
// UNLOCK_BATCH_MQ) the whole request also goes through its builder.
// Hostile bodies never trap the module and are refused.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { command, jsonFrame } from "./remoting.ts";
import { remotingLine, rocketmqOracle } from "./rocketmq_facts.ts";
import { exchanges, codeRulesOf, loadAuthorization, mismatch, type AuthorizationFixture, type CodeRule, type Requirements } from "./authorization.ts";
import { loadRecording } from "../support/recordings.ts";
import type { AdminRecording } from "../../scripts/record-rocketmq-authorization.ts";

let m: AuthorizationFixture;
let rules: Map<number, CodeRule>;
beforeAll(async () => {
  m = await loadAuthorization();
  rules = codeRulesOf(m);
}, 600_000);

type Name = ["Topic" | "Group", string | null];
const P = "org.apache.rocketmq.remoting.protocol.";
const retry = (s: string | null) => (s && s.startsWith("%RETRY%") ? s.slice(7) : s);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

// Per code: the bean class the broker decodes the body into, and the names
// the broker would act on in the decoded bean (null where one is missing).
const BODIES: Record<number, { cls: string; names(d: any): Name[] | null }> = {
  34: {
    cls: P + "heartbeat.HeartbeatData",
    names: (d) => arr(d.consumerDataSet).flatMap((c): Name[] => [
      ["Group", retry(c.groupName ?? null)],
      ...arr(c.subscriptionDataSet).filter((s) => !String(s.topic).startsWith("%RETRY%")).map((s): Name => ["Topic", s.topic ?? null]),
    ]),
  },
  41: { cls: P + "body.LockBatchRequestBody", names: lockNames },
  42: { cls: P + "body.UnlockBatchRequestBody", names: lockNames },
  200151: {
    cls: P + "body.BatchAckMessageRequestBody",
    names: (d) => (d.acks == null ? null : arr(d.acks).flatMap((a): Name[] => [["Group", retry(a.c ?? null)], ["Topic", a.t ?? null]])),
  },
  18: {
    cls: P + "body.CreateTopicListRequestBody",
    names: (d) => (d.topicConfigList == null ? null : arr(d.topicConfigList).map((t): Name => ["Topic", t.topicName ?? null])),
  },
  200: { cls: P + "subscription.SubscriptionGroupConfig", names: (d) => [["Group", retry(d.groupName ?? null)]] },
  225: {
    cls: P + "body.SubscriptionGroupList",
    names: (d) => (d.groupConfigList == null ? null : arr(d.groupConfigList).map((g): Name => ["Group", retry(g.groupName ?? null)])),
  },
  400: { cls: P + "body.QueryAssignmentRequestBody", names: topicGroup },
  401: { cls: P + "body.SetMessageRequestModeRequestBody", names: topicGroup },
  46: {
    cls: P + "body.CheckClientRequestBody",
    names: (d) => [["Group", retry(d.group ?? null)], ["Topic", d.subscriptionData ? d.subscriptionData.topic ?? null : null]],
  },
};

function lockNames(d: any): Name[] {
  return [["Group", retry(d.consumerGroup ?? null)],
    ...arr(d.mqSet).filter((q) => !String(q.topic).startsWith("%RETRY%")).map((q): Name => ["Topic", q.topic ?? null])];
}

function topicGroup(d: any): Name[] {
  const t: string | null = d.topic ?? null;
  return [t && t.startsWith("%RETRY%") ? ["Group", retry(t)] : ["Topic", t], ["Group", d.consumerGroup ?? null]];
}

// Bodies as clients write them, with fastjson's other spellings, repeated
// keys (dup: the mesh judges every spelling, fastjson keeps the last), missing
// names, and shapes fastjson accepts but this scanner does not (lenient:
// single quotes, stray commas, an object where a list belongs; the mesh
// refuses those).
const CASES: Record<number, { body: string; lenient?: boolean; dup?: boolean }[]> = {
  34: [
    { body: '{"clientID":"c1","consumerDataSet":[{"consumeType":"CONSUME_PASSIVELY","groupName":"g1","subscriptionDataSet":[{"subString":"*","topic":"t1"},{"subString":"*","topic":"%RETRY%g1"}]}],"producerDataSet":[{"groupName":"p1"}]}' },
    { body: '{"clientID":"c1","producerDataSet":[{"groupName":"p1"}]}' },
    { body: '{"consumer_data_set":[{"GroupName":"g2","Subscription-Data-Set":[{"TOPIC":"t2"}]}]}' },
    { body: '{"consumerDataSet":[{"groupName":"g1","groupName":"g3","subscriptionDataSet":[{"topic":"t1"}]},{"groupName":"%RETRY%g4"}]}', dup: true },
    { body: '{"consumerDataSet":[{"subscriptionDataSet":[{"topic":"t1"}]}]}' },
    { body: '{"consumerDataSet":[{"groupName":"g1","subscriptionDataSet":[{"subString":"*"}]}]}' },
    { body: '{"consumerDataSet":[{"groupName":123}]}' },
    { body: "{'consumerDataSet':[{'groupName':'g1'}]}", lenient: true },
    { body: '{"consumerDataSet":[{"groupName":"g1",}]}', lenient: true },
    { body: '{"consumerDataSet":[]} trailing' },
    { body: "" },
  ],
  41: [
    { body: '{"clientId":"c1","consumerGroup":"g1","mqSet":[{"brokerName":"b","queueId":0,"topic":"t1"},{"brokerName":"b","queueId":1,"topic":"%RETRY%g1"}],"onlyThisBroker":false}' },
    { body: '{"Consumer_Group":"g1","MQSET":[{"TOPIC":"t2","brokerName":"b","queueId":1}]}' },
    { body: '{"consumerGroup":"g1","mqSet":[{"topic":"t1","topic":"t3"}]}', dup: true },
    { body: '{"mqSet":[{"topic":"t1"}]}' },
    { body: '{"consumerGroup":"g1"}' },
    { body: '{"consumerGroup":"g1","mqSet":[{"brokerName":"b"}]}' },
    { body: '{"consumerGroup":"g1","mqSet":{"topic":"t1"}}', lenient: true },
  ],
  200151: [
    { body: '{"acks":[{"b":"AQ==","c":"g1","it":0,"pt":0,"q":0,"r":"0","rq":0,"so":0,"t":"t1"}],"brokerName":"b"}' },
    { body: '{"acks":[{"consumerGroup":"g2","topic":"t2"}]}' },
    { body: '{"acks":[{"C":"g1","consumerGroup":"g2","t":"t1","Topic":"t3"}]}', dup: true },
    { body: '{"acks":[{"c":"g1"}]}' },
    { body: '{"acks":[]}' },
    { body: '{"brokerName":"b"}' },
  ],
  18: [
    { body: '{"topicConfigList":[{"readQueueNums":4,"topicName":"t1"},{"topicName":"t2"}]}' },
    { body: '{"topic_config_list":[{"TopicName":"t3"}]}' },
    { body: '{"topicConfigList":[{"readQueueNums":4}]}' },
    { body: "{}" },
  ],
  200: [{ body: '{"consumeEnable":true,"groupName":"g1"}' }, { body: '{"group_name":"g2"}' }, { body: "{}" }],
  225: [{ body: '{"groupConfigList":[{"groupName":"g1"},{"groupName":"g2"}]}' }, { body: '{"groupConfigList":[{}]}' }, { body: "{}" }],
  400: [
    { body: '{"clientId":"c","consumerGroup":"g1","messageModel":"CLUSTERING","strategyName":"AVG","topic":"t1"}' },
    { body: '{"Topic":"t2","consumer_group":"g2"}' },
    { body: '{"consumerGroup":"g3","topic":"%RETRY%g3"}' },
    { body: '{"topic":"t1"}' },
  ],
  401: [{ body: '{"consumerGroup":"g1","mode":"POP","popShareQueueNum":1,"topic":"t1"}' }, { body: '{"consumerGroup":"g1"}' }],
  46: [
    { body: '{"clientId":"c","group":"g1","subscriptionData":{"expressionType":"TAG","subString":"*","topic":"t1"}}' },
    { body: '{"group":"g1"}' },
    { body: '{"Group":"g2","subscription_data":{"TOPIC":"t2"}}' },
  ],
};

CASES[42] = CASES[41];
// And the bodies real clients sent (mqadmin's group config, heartbeats of
// producers and a lite pull consumer).
for (const e of exchanges(loadRecording<AdminRecording>("rocketmq", "admin").steps.flatMap((s) => s.connections))) {
  if (CASES[e.code] && e.body.length > 0) CASES[e.code].push({ body: e.body.toString("utf8") });
}
const cases = Object.entries(CASES).flatMap(([code, list]) => list.map((c) => ({ code: Number(code), ...c })));
const utf8 = (s: string) => new TextEncoder().encode(s);
const bodyLine = (cls: string, body: string) => `b ${cls} ${Buffer.from(body).toString("base64")}`;

describe("resources in request bodies", () => {
  it("include every topic and group the broker's fastjson reads from the body", async () => {
    const decoded = await rocketmqOracle(cases.map((c) => bodyLine(BODIES[c.code].cls, c.body)));
    const problems: string[] = [];
    cases.forEach((c, i) => {
      const mine = JSON.parse(m.requirements(c.code, "[]", utf8(c.body))) as Requirements;
      const d = decoded[i] as { decoded?: unknown; error?: string };
      const what = `${rules.get(c.code)!.name} ${c.body}`;
      if (d.error !== undefined || d.decoded == null) {
        if (mine.unreadable === undefined) problems.push(`${what}: the broker cannot decode it, the mesh judged it`);
        return;
      }
      const names = BODIES[c.code].names(d.decoded);
      const missing = names === null || names.some(([, n]) => n === null || n.trim() === "");
      if (missing || c.lenient) {
        if (mine.unreadable === undefined) problems.push(`${what}: expected the mesh to refuse it`);
        return;
      }
      if (mine.unreadable !== undefined) {
        problems.push(`${what}: the mesh refused (${mine.unreadable}) what the broker reads as ${JSON.stringify(names)}`);
        return;
      }
      for (const [type, name] of names) {
        if (!mine.items.some((it) => it.type === type && it.name === name)) problems.push(`${what}: ${type} ${name} not judged`);
      }
    });
    expect(problems).toEqual([]);
  }, 600_000);

  it("agree with RocketMQ's builder for the codes it reads bodies of", async () => {
    // Repeated keys and lenient shapes are covered above (the mesh judges more, or refuses).
    const probes = cases.filter((c) => [34, 41, 42].includes(c.code) && !c.dup && !c.lenient).flatMap((c) => [
      { code: c.code, ext: [["bname", "broker-a"]] as [string, string][], body: utf8(c.body), what: c.body },
      { code: c.code, ext: [] as [string, string][], body: utf8(c.body), what: `${c.body} without header fields` },
    ]);
    const theirs = await rocketmqOracle(probes.map((p) => remotingLine(jsonFrame(command({ code: p.code, opaque: 1, ext: p.ext, body: p.body })))));
    const problems = probes.flatMap((p, i) => {
      const mine = JSON.parse(m.requirements(p.code, JSON.stringify(p.ext), p.body)) as Requirements;
      const why = mismatch(p, rules.get(p.code)!, mine, theirs[i]);
      return why ? [`${rules.get(p.code)!.name} ${p.what}: ${why}`] : [];
    });
    expect(problems).toEqual([]);
  }, 600_000);

  it("never trap on hostile bodies and headers, and refuse what they cannot read", () => {
    const codes = [...rules.keys()];
    const jsonish = fc.stringMatching(/^[{}[\]",:a-zA-Z0-9%_\- \\]{0,80}$/);
    const body = fc.oneof(fc.uint8Array({ maxLength: 96 }), jsonish.map(utf8),
      fc.constantFrom(...cases.map((c) => c.body)).chain((b) => fc.nat(b.length).map((n) => utf8(b.slice(0, n)))));
    const ext = fc.array(fc.tuple(fc.constantFrom("topic", "b", "a", "consumerGroup", "group", "clusterName", "topicList", "x"),
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("%RETRY%", "%RETRY%g", ";", ",", " "))), { maxLength: 6 });
    fc.assert(fc.property(fc.oneof(fc.constantFrom(...codes), fc.integer()), ext, body, (code, e, b) => {
      const r = JSON.parse(m.requirements(code, JSON.stringify(e), b)) as Requirements;
      expect(r.known).toBe(rules.has(code) && rules.get(code)!.kind !== 4);
      const rule = rules.get(code);
      if (r.known && rule!.body !== 0 && b.length === 0) expect(r.unreadable).toBeDefined();
      // A resource is named, or the request is refused; only the cluster may go unnamed.
      for (const it of r.items) if (it.type !== "Cluster") expect(it.name).not.toBe("");
    }), { numRuns: 3000 });
  });
});
