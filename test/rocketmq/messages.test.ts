// Per-request readers: send (long and V2 short names, batch), pull, pop/ack,
// heartbeat; message properties; the batch body; the route body rewrite.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { P, batchMessage as message, binaryFrame, command, concat, decodeWire, fastjson, javaProps, jsonFrame, loadCodec, type Codec } from "./remoting.ts";

let m: Codec;
beforeAll(async () => { m = await loadCodec(); });

const enc = (s: string) => new TextEncoder().encode(s);

describe("send requests", () => {
  const props = P([["KEYS", "k1"], ["TAGS", "tagA"], ["UNIQ_KEY", "7F00000100002A9F0000000000000001"], ["WAIT", "true"]]);
  // SendMessageRequestHeaderV2 as DefaultMQProducer sends it.
  const v2: [string, string][] = [["a", "pg"], ["b", "TopicTest"], ["c", "TBW102"], ["d", "4"], ["e", "2"], ["f", "0"],
    ["g", "1700000000000"], ["h", "0"], ["i", props], ["j", "0"], ["k", "false"], ["m", "false"], ["n", "broker-a"]];

  it("maps SEND_MESSAGE_V2's one-letter names", () => {
    for (const build of [jsonFrame, binaryFrame]) {
      const info = JSON.parse(m.sendInfo(build(command({ code: 310, ext: v2, body: enc("hi") }))));
      expect(info).toEqual({ topic: "TopicTest", producerGroup: "pg", properties: props, queueId: 2, batch: false, shortNames: true, brokerName: "broker-a" });
    }
  });

  it("reads SEND_MESSAGE's long names and SEND_BATCH_MESSAGE", () => {
    const v1: [string, string][] = [["producerGroup", "pg1"], ["topic", "T1"], ["queueId", "0"], ["properties", props], ["batch", "false"]];
    expect(JSON.parse(m.sendInfo(jsonFrame(command({ code: 10, ext: v1 }))))).toMatchObject({ topic: "T1", producerGroup: "pg1", queueId: 0, shortNames: false });
    expect(JSON.parse(m.sendInfo(jsonFrame(command({ code: 320, ext: v2 }))))).toMatchObject({ topic: "TopicTest", batch: true, shortNames: true });
    expect(m.sendInfo(jsonFrame(command({ code: 10, ext: [["producerGroup", "x"]] })))).toBe("NONE");
    expect(m.sendInfo(jsonFrame(command({ code: 310, flag: 1, ext: v2 })))).toBe("NONE");
    expect(m.sendInfo(jsonFrame(command({ code: 11, ext: v1 })))).toBe("NONE");
  });

  it("adds traceparent to the properties and leaves everything else", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const out = decodeWire(m.addSendProperty(jsonFrame(command({ code: 310, opaque: 9, ext: v2, body: enc("hi") })), "traceparent", tp));
    const expectedExt = v2.map(([k, v]) => [k, k === "i" ? props + `traceparent\u0001${tp}\u0002` : v]);
    expect(out.ext).toEqual(expectedExt);
    expect(out.opaque).toBe(9);
    expect(new TextDecoder().decode(out.body)).toBe("hi");
    // Replacing an existing value keeps its place.
    const again = decodeWire(m.addSendProperty(out.type === 0 ? wireless(out) : new Uint8Array(), "traceparent", "00-x"));
    expect(javaProps(again.ext.find(([k]) => k === "i")![1]).get("traceparent")).toBe("00-x");
    expect(again.ext.find(([k]) => k === "i")![1].startsWith(props)).toBe(true);
  });
});

// Rebuilds the frame (no prefix) of a decoded JSON command.
function wireless(c: ReturnType<typeof decodeWire>): Uint8Array {
  return jsonFrame(command(c));
}

describe("consumers", () => {
  it("reads pull requests", () => {
    const ext: [string, string][] = [["consumerGroup", "cg"], ["topic", "T"], ["queueId", "3"], ["queueOffset", "100"], ["maxMsgNums", "32"],
      ["sysFlag", "3"], ["commitOffset", "0"], ["suspendTimeoutMillis", "15000"], ["subscription", "*"], ["subVersion", "1"]];
    expect(m.consumeInfo(jsonFrame(command({ code: 11, ext })))).toBe("cg|T|3|100");
    expect(m.consumeInfo(binaryFrame(command({ code: 361, ext })))).toBe("cg|T|3|100");
  });

  it("reads pop, ack and change-invisible-time requests", () => {
    const ext: [string, string][] = [["consumerGroup", "cg"], ["topic", "T"], ["queueId", "-1"], ["maxMsgNums", "32"]];
    for (const code of [200050, 200051, 200053, 200052]) expect(m.consumeInfo(jsonFrame(command({ code, ext })))).toBe("cg|T");
    expect(m.consumeInfo(jsonFrame(command({ code: 200050, ext: [["consumerGroup", "cg"]] })))).toBe("NONE");
  });

  it("reads every ack of BATCH_ACK_MESSAGE, short or long names", () => {
    const body = enc(fastjson({ acks: [{ c: "g1", t: "T1", q: 0, so: 5, b: "AQ==" }, { consumerGroup: "g2", topic: "T2" }], brokerName: "b" }));
    expect(m.consumeInfo(jsonFrame(command({ code: 200151, body })))).toBe("g1|T1\ng2|T2");
    expect(m.consumeInfo(jsonFrame(command({ code: 200151, body: enc("{\"acks\":[{") })))).toBe("NONE");
  });

  it("reads heartbeats", () => {
    const hb = {
      clientID: "10.0.0.1@1234#5678",
      consumerDataSet: [{ consumeFromWhere: "CONSUME_FROM_LAST_OFFSET", consumeType: "CONSUME_PASSIVELY", groupName: "cg", messageModel: "CLUSTERING",
        subscriptionDataSet: [{ classFilterMode: false, codeSet: [], expressionType: "TAG", subString: "*", subVersion: 1700000000000, tagsSet: [], topic: "T" },
          { classFilterMode: false, codeSet: [], expressionType: "TAG", subString: "*", subVersion: 1, tagsSet: [], topic: "%RETRY%cg" }], unitMode: false }],
      heartbeatFingerprint: 0,
      producerDataSet: [{ groupName: "CLIENT_INNER_PRODUCER" }, { groupName: "pg" }],
      withoutSub: false,
    };
    expect(JSON.parse(m.heartbeatInfo(jsonFrame(command({ code: 34, body: enc(fastjson(hb)) }))))).toEqual({
      clientId: "10.0.0.1@1234#5678", producers: ["CLIENT_INNER_PRODUCER", "pg"], consumers: ["cg"], subscriptions: ["cg|T", "cg|%RETRY%cg"],
    });
    expect(m.heartbeatInfo(jsonFrame(command({ code: 34, body: enc("{") })))).toMatch(/^ERR:/);
  });
});

describe("message properties", () => {
  const propString = fc.array(fc.oneof(fc.constantFrom("\u0001", "\u0002", "a", "b", "KEYS", "é"), fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join(""));

  it("parse like MessageDecoder.string2messageProperties", () => {
    fc.assert(fc.property(propString, (s) => {
      const ours = new Map<string, string>(JSON.parse(m.propsParse(s)));
      expect(ours).toEqual(javaProps(s));
    }), { numRuns: 1000 });
  });

  it("serialize like messageProperties2String", () => {
    expect(m.propsCanonical("A\u0001x\u0002B\u0001y")).toBe("A\u0001x\u0002B\u0001y\u0002");
    expect(m.propsCanonical("")).toBe("");
  });

  it("setting one property keeps every other byte", () => {
    fc.assert(fc.property(propString, fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[ -~]{1,20}$/), (s, k, v) => {
      const out = m.propsWith(s, k, v);
      const expected = javaProps(s);
      expected.set(k, v);
      expect(javaProps(out)).toEqual(expected);
      if (!javaProps(s).has(k)) expect(out.startsWith(s)).toBe(true);
    }), { numRuns: 1000 });
  });
});

describe("batch bodies", () => {
  it("decodes MessageDecoder.encodeMessages output and adds a property to each message", () => {
    const body = concat(message(0, "one", P([["KEYS", "a"]])), message(4, "two", P([["TAGS", "t"], ["WAIT", "true"]])));
    expect(m.batchDescribe(body)).toBe(`0|3|${P([["KEYS", "a"]])}\n4|3|${P([["TAGS", "t"], ["WAIT", "true"]])}`);
    const out = m.batchWith(body, "traceparent", "00-t");
    expect(out).toEqual(concat(message(0, "one", P([["KEYS", "a"], ["traceparent", "00-t"]])),
      message(4, "two", P([["TAGS", "t"], ["WAIT", "true"], ["traceparent", "00-t"]]))));
    const first = message(0, "one", P([["KEYS", "a"]])).length;
    for (let n = 1; n < body.length; n++) {
      if (n !== first) expect(m.batchDescribe(body.subarray(0, n)), `${n}`).toMatch(/^ERR:/);
    }
  });
});

describe("route info", () => {
  const route = (addrs: [string, Map<number, string>][]) => ({
    brokerDatas: addrs.map(([name, a]) => ({ brokerAddrs: a, brokerName: name, cluster: "DefaultCluster", enableActingMaster: false })),
    filterServerTable: {},
    queueDatas: addrs.map(([name]) => ({ brokerName: name, perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 })),
  });
  const original = route([["broker-a", new Map([[0, "10.0.0.5:10911"], [1, "10.0.0.6:10911"]])], ["broker-b", new Map([[0, "10.0.0.7:10911"]])]]);

  it("lists brokers from fastjson's unquoted numeric keys", () => {
    const body = enc(fastjson(original));
    expect(new TextDecoder().decode(body)).toContain('"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"}');
    expect(m.routeAddresses(body)).toBe("broker-a|0|10.0.0.5:10911\nbroker-a|1|10.0.0.6:10911\nbroker-b|0|10.0.0.7:10911");
  });

  it("replaces every address and keeps every other byte", () => {
    const body = enc(fastjson(original));
    const out = m.routeRewrite(body, "127.0.0.1:19876");
    const sidecar = new Map([[0, "127.0.0.1:19876"], [1, "127.0.0.1:19876"]]);
    expect(new TextDecoder().decode(out)).toBe(fastjson(route([["broker-a", sidecar], ["broker-b", new Map([[0, "127.0.0.1:19876"]])]])));
  });

  it("handles standard JSON (acceptStandardJsonOnly) and random routes", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.stringMatching(/^[a-z-]{1,8}$/), fc.array(fc.tuple(fc.nat(8), fc.stringMatching(/^[0-9.]{1,15}:[0-9]{1,5}$/)), { maxLength: 3 })), { maxLength: 4 }),
      fc.boolean(),
      (brokers, standard) => {
        const r = route(brokers.map(([n, a]) => [n, new Map(a)]));
        const text = standard ? fastjson(r).replace(/([{,])(\d+):/g, '$1"$2":') : fastjson(r);
        const addrs = r.brokerDatas.flatMap((b) => [...b.brokerAddrs].map(([id, a]) => `${b.brokerName}|${id}|${a}`));
        expect(m.routeAddresses(enc(text))).toBe(addrs.join("\n"));
        const out = new TextDecoder().decode(m.routeRewrite(enc(text), "sidecar:1"));
        expect(out).toBe(text.replace(/:"[0-9.]+:[0-9]+"/g, ':"sidecar:1"'));
      }), { numRuns: 300 });
  });

  it("turns fastjson into standard JSON for json.ts", () => {
    const text = fastjson(original);
    expect(JSON.parse(m.standardJson(text))).toEqual(JSON.parse(text.replace(/([{,])(\d+):/g, '$1"$2":')));
    expect(m.standardJson('{"k":"{0:\\"x\\"}",-1:2, 7 :[1,{3:4}]}')).toBe('{"k":"{0:\\"x\\"}","-1":2,"7":[1,{"3":4}]}');
  });

  it("rejects broken bodies", () => {
    for (const bad of ["", "{", '{"brokerDatas":[{"brokerAddrs":{0:1}}]}', '{"brokerDatas":{}}', '{"brokerDatas":[{"brokerAddrs":{0:"a"]}]}']) {
      expect(m.routeAddresses(enc(bad)), bad).toMatch(/^ERR:/);
      expect(m.routeRewrite(enc(bad), "x").length).toBe(0);
    }
  });
});
