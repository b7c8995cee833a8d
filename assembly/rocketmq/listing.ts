// Answers that list topics or groups, filtered to what the caller may see
// (as Kafka Metadata answers are): the name server's topic lists
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, the system and
// unit topic lists), a broker's system topics and the topics of a group
// (TopicList: {"brokerAddr":"...","topicList":["a","b"]}), and the groups of
// a topic (GroupList: {"groupList":["g"]}). authorization_codes.ts says which
// code's answer is which (CodeRule.answer).
//
// Rejected names are cut out of the array with the comma that joined them;
// every other byte of the body stays as the server wrote it, and a body with
// nothing to hide is returned as it came.
import { StrBuf } from "../common/strbuf";
import { ANSWER_GROUP_LIST, ANSWER_TOPIC_LIST, codeRule } from "./authorization_codes";
import { scanArray, scanObject, skipWs, stringAt } from "./fastjson";

// What the caller may see; a filter implements it from its policy.
export abstract class NameFilter {
  abstract keep(name: string): bool;
}

export class ListingResult {
  error: string | null = null;
  body: Uint8Array;
  removed: i32 = 0;
  constructor(body: Uint8Array) {
    this.body = body;
  }
  get ok(): bool {
    return this.error === null;
  }
}

function failed(body: Uint8Array, why: string): ListingResult {
  const r = new ListingResult(body);
  r.error = why;
  return r;
}

// The answer of request `code` with the names `keep` rejects left out; the
// body unchanged for a code whose answer lists nothing.
export function filterAnswer(code: i32, body: Uint8Array, keep: NameFilter): ListingResult {
  const rule = codeRule(code);
  const answer = rule === null ? 0 : rule.answer;
  if (answer == ANSWER_TOPIC_LIST) return filterNameList(body, "topicList", keep);
  if (answer == ANSWER_GROUP_LIST) return filterNameList(body, "groupList", keep);
  return new ListingResult(body);
}

// The JSON object `body` with the strings of its array member `member` that
// `keep` rejects removed. An answer without the member lists nothing.
export function filterNameList(body: Uint8Array, member: string, keep: NameFilter): ListingResult {
  const text = String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length);
  const top = scanObject(text, 0);
  if (!top.ok) return failed(body, "listing: " + top.error!);
  if (skipWs(text, top.end) != text.length) return failed(body, "listing: bytes after the JSON object");
  const out = new StrBuf(text.length);
  let copied = 0;
  let removed = 0;
  for (let i = 0; i < top.members.length; i++) {
    const m = unchecked(top.members[i]);
    if (m.key != member || text.substring(m.start, m.end) == "null") continue;
    const list = scanArray(text, m.start);
    if (!list.ok) return failed(body, "listing: " + member + ": " + list.error!);
    // Copy up to the first kept element; then each kept element with the
    // separator that preceded it in the original; then the closing bracket.
    let last = -1; // index of the last element written
    for (let j = 0; j < list.starts.length; j++) {
      const start = unchecked(list.starts[j]);
      const end = unchecked(list.ends[j]);
      const name = stringAt(text, start, end);
      if (name === null) return failed(body, "listing: " + member + "[" + j.toString() + "] is not a string");
      if (!keep.keep(name)) {
        removed++;
        continue;
      }
      if (last < 0) out.slice(text, copied, list.starts[0]);
      else out.slice(text, unchecked(list.ends[j - 1]), start);
      out.slice(text, start, end);
      last = j;
    }
    const n = list.starts.length;
    if (last < 0) out.slice(text, copied, n > 0 ? m.start + 1 : list.end);
    if (n > 0) out.slice(text, unchecked(list.ends[n - 1]), list.end);
    copied = list.end;
  }
  if (removed == 0) return new ListingResult(body);
  out.slice(text, copied, text.length);
  // Only text that was valid UTF-8 comes back byte for byte.
  const back = String.UTF8.encode(text);
  if (back.byteLength != body.length || memory.compare(changetype<usize>(back), body.dataStart, body.length) != 0) {
    return failed(body, "listing: the body is not valid UTF-8");
  }
  const r = new ListingResult(Uint8Array.wrap(String.UTF8.encode(out.toString())));
  r.removed = removed;
  return r;
}
