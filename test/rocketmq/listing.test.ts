// Topic and group listings filtered to what a caller may see, on the answers a
// real RocketMQ 5.3 name server and broker wrote (test/recordings/rocketmq/
// admin.json, scripts/record-rocketmq-authorization.ts): hidden names are
// gone, nothing else changed, every other byte is the server's. The expected
// bytes are built here from the parsed answer, not by the code under test.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { AdminRecording } from "../../scripts/record-rocketmq-authorization.ts";
import { loadRecording } from "../support/recordings.ts";
import { exchanges, codeRulesOf, loadAuthorization, type AuthorizationFixture, type CodeRule } from "./authorization.ts";

let m: AuthorizationFixture;
let rules: Map<number, CodeRule>;
beforeAll(async () => {
  m = await loadAuthorization();
  rules = codeRulesOf(m);
}, 600_000);

const rec = loadRecording<AdminRecording>("rocketmq", "admin");
const all = exchanges(rec.steps.flatMap((s) => s.connections));
const member = (code: number) => (rules.get(code)!.answer === 1 ? "topicList" : "groupList");

function filter(code: number, body: Uint8Array, hidden: string[]): { removed: number; error?: string; body: Buffer } {
  const r = JSON.parse(m.filterList(code, body, JSON.stringify(hidden)));
  return { ...r, body: Buffer.from(m.filteredBody()) };
}

describe("listing answers recorded from RocketMQ 5.3", () => {
  const listings = () => all.filter((e) => rules.get(e.code)!.answer !== 0 && e.response?.code === 0);

  it("covers every code whose answer lists topics or groups", () => {
    const listed = [...rules.values()].filter((r) => r.answer !== 0).map((r) => r.code).sort();
    expect([...new Set(listings().map((e) => e.code))].sort()).toEqual(listed);
    // The name server's full list names the topics the recorder created.
    const topics: string[] = JSON.parse(listings().find((e) => e.code === 206)!.response!.body.toString()).topicList;
    expect(topics).toEqual(expect.arrayContaining(rec.truth.topics));
  });

  it("leave out exactly the hidden names, byte for byte as the server wrote the rest", () => {
    for (const e of listings()) {
      const text = e.response!.body.toString("utf8");
      const names: string[] = JSON.parse(text)[member(e.code)];
      // fastjson writes the array as JSON.stringify does: find it in the text.
      const array = JSON.stringify(names);
      expect(text, `${e.code}`).toContain(array);
      const hiddenSets = [[], names.slice(0, 1), names.slice(-1), names.filter((_, i) => i % 2 === 1), names, ["not-listed"]];
      for (const hidden of hiddenSets) {
        const r = filter(e.code, e.response!.body, hidden);
        expect(r.error, `${e.code}`).toBeUndefined();
        const kept = names.filter((n) => !hidden.includes(n));
        expect(r.removed).toBe(names.length - kept.length);
        expect(r.body.toString("utf8"), `${e.code} hiding ${hidden}`).toBe(text.replace(array, JSON.stringify(kept)));
        if (kept.length === names.length) expect(r.body.equals(e.response!.body)).toBe(true);
      }
    }
  });

  it("hide a topic from mqadmin topicList's answer and keep the others", () => {
    const answer = listings().find((e) => e.code === 206)!.response!.body;
    const r = filter(206, answer, ["rec-secret"]);
    const topics: string[] = JSON.parse(r.body.toString()).topicList;
    expect(topics).not.toContain("rec-secret");
    expect(topics).toEqual(expect.arrayContaining(["rec-orders"]));
    expect(topics.length).toBe(JSON.parse(answer.toString()).topicList.length - 1);
  });
});

describe("listing bodies in other spellings", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  it("keep the server's spacing and member order around the list", () => {
    const body = '{ "brokerAddr" : "10.0.0.1:10911" ,\n "topicList" : [ "a" ,\t"b", "c" ] , "x":[1] }';
    expect(filter(206, utf8(body), ["b"]).body.toString()).toBe('{ "brokerAddr" : "10.0.0.1:10911" ,\n "topicList" : [ "a", "c" ] , "x":[1] }');
    expect(filter(206, utf8(body), ["a"]).body.toString()).toBe('{ "brokerAddr" : "10.0.0.1:10911" ,\n "topicList" : [ "b", "c" ] , "x":[1] }');
    expect(filter(206, utf8(body), ["a", "b", "c"]).body.toString()).toBe('{ "brokerAddr" : "10.0.0.1:10911" ,\n "topicList" : [ ] , "x":[1] }');
    expect(filter(300, utf8('{"groupList":["g\\u0031","g2"]}'), ["g1"]).body.toString()).toBe('{"groupList":["g2"]}');
  });

  it("report answers they cannot filter instead of passing them", () => {
    for (const body of ['{"topicList":["a",1]}', '{"topicList":"a"}', '{"topicList":["a"]', "not json", '{"topicList":["a"]} x']) {
      expect(filter(206, utf8(body), ["a"]).error, body).toBeDefined();
    }
    expect(filter(206, utf8('{"topicList":null}'), ["a"])).toMatchObject({ removed: 0 });
    expect(filter(105, utf8('{"brokerDatas":[]}'), ["a"])).toMatchObject({ removed: 0 }); // a route is not a listing
  });

  it("never trap on hostile answers, and never leave a hidden name in", () => {
    const name = fc.constantFrom("a", "b", "secret", "x y", "é");
    fc.assert(fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.array(name, { maxLength: 6 }).map((l) => utf8(JSON.stringify({ topicList: l, brokerAddr: "h:1" })))),
      fc.nat(100), (body, cut) => {
        for (const b of [body, body.subarray(0, cut)]) {
          const r = filter(224, b, ["secret"]);
          if (r.error === undefined && r.removed > 0) expect(JSON.parse(r.body.toString()).topicList).not.toContain("secret");
        }
      }), { numRuns: 2000 });
  });
});
