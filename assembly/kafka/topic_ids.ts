// Topic ids to names. Fetch v13+ (and Produce v13) name topics only by id,
// yet metrics and ACLs speak of names. Ids are learned from Metadata
// responses (v10+) on any connection; a client usually asks for metadata on
// one connection and fetches on another, so the map is per VM, and shared
// with the other Envoy workers through shared data.
import { getSharedData, setSharedString, WasmResult } from "../proxy";

const SHARED_PREFIX = "mqmesh.kafka.topic_id.";
const MAX_LOCAL = 100000;
export const UNKNOWN_TOPIC = "unknown";
const names = new Map<string, string>();

// The local map's key: the id's bytes as UTF-16 code units, one allocation.
// This runs for every produce and fetch of v13+, so the hex spelling (48
// small strings) is built only for shared data, on a local miss.
function idKey(id: Uint8Array): string {
  const n = id.length & ~1;
  const key = changetype<string>(__new(<usize>n, idof<string>()));
  memory.copy(changetype<usize>(key), id.dataStart, <usize>n);
  return id.length == n ? key : key + String.fromCharCode(<i32>id[n]);
}

function sharedKey(id: Uint8Array): string {
  let s = SHARED_PREFIX;
  for (let i = 0; i < id.length; i++) s += (<u32>id[i] | 0x100).toString(16).substring(1);
  return s;
}

function isZero(id: Uint8Array): bool {
  for (let i = 0; i < id.length; i++) if (id[i] != 0) return false;
  return true;
}

export function rememberTopicId(id: Uint8Array, name: string): void {
  if (isZero(id) || name.length == 0) return;
  const key = idKey(id);
  if (names.has(key) && names.get(key) == name) return;
  if (names.size >= MAX_LOCAL) names.clear();
  names.set(key, name);
  setSharedString(sharedKey(id), name);
}

// The topic's name, or null when no Metadata response named it yet.
export function topicNameForId(id: Uint8Array): string | null {
  const key = idKey(id);
  if (names.has(key)) return names.get(key);
  const shared = getSharedData(sharedKey(id));
  if (shared.status != WasmResult.Ok || shared.value == null) return null;
  const name = String.UTF8.decode(shared.value!);
  names.set(key, name);
  return name;
}

// A topic's name from a message that carries a name (older versions) or an
// id (newer ones); "unknown" when the id was never seen in metadata.
export function topicName(name: string, id: Uint8Array): string {
  if (name.length > 0) return name;
  const known = topicNameForId(id);
  return known == null ? UNKNOWN_TOPIC : known!;
}

// The topic named last, by name (older versions) or by id (newer ones), once
// it resolved to a name: work keyed by topic (counters, an ACL verdict) is
// done once while a producer keeps writing to one topic, instead of several
// string hashes per request.
export class LastTopic {
  private known: bool = false;
  private byId: bool = false;
  private name: string = "";
  private readonly id: Uint8Array = new Uint8Array(16);

  // The topic as the request names it: a name, or "" and an id.
  is(name: string, id: Uint8Array): bool {
    if (!this.known) return false;
    if (name.length > 0) return !this.byId && name == this.name;
    return this.byId && id.length == 16 && memory.compare(id.dataStart, this.id.dataStart, 16) == 0;
  }

  // resolved: the topicName() of (name, id). An id no Metadata response
  // named yet is not remembered: it may be named later.
  remember(name: string, id: Uint8Array, resolved: string): void {
    this.byId = name.length == 0;
    this.known = !this.byId || (resolved != UNKNOWN_TOPIC && id.length == 16);
    this.name = name;
    if (this.known && this.byId) memory.copy(this.id.dataStart, id.dataStart, 16);
  }
}
