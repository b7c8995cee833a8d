// Token buckets shared by every worker of one Envoy: each worker thread runs
// its own Wasm VM, and a limit must hold for the sidecar as a whole, so the
// buckets live in Envoy's shared data (one store per vm_id) and every take is
// a read, the arithmetic of token_bucket.ts, and a compare-and-swap write,
// retried when another worker wrote in between. The semantics never depend
// on the worker count: with one worker the same path runs. (The one shortcut,
// bucket_leases.ts, takes tokens ahead from here and is stricter, never looser.)
//
// Bounded keys. Shared data has no delete and no expiry, while bucket keys
// (rule + principal + topic...) come from clients. So a table owns a fixed
// pool of `maxKeys` slots, shared-data keys "<table>/<slot>", and a bucket
// key hashes (murmur2) to a slot and probes the next PROBES slots. The
// stored value carries the bucket key, so a slot holding another key is
// recognised. A new key takes the first slot that is empty or whose bucket
// is full: a full bucket is indistinguishable from a fresh one, so reusing
// its slot changes nothing for anyone. When every probed slot holds a bucket
// in use by other keys, the key shares its rule's overflow bucket
// ("<table>/overflow/<rule>"): stricter, never looser, and counted in
// `overflowTakes`. The whole probe sequence is read before a slot is
// claimed, so a key never gets a second, fresh bucket while its first one
// is in debt.
//
// Creating a slot: proxy_set_shared_data ignores the CAS for a key that does
// not exist yet, so two workers creating one slot at once could overwrite
// each other. A create is written with CAS 0xffffffff instead of 0: if the
// key appeared meanwhile its CAS differs (unless it is exactly the
// 4294967295th write of the process) and the write fails and is retried.
//
// Value layout (little-endian): u8 version 1, i64 TAT, i64 seen, then the
// bucket key in UTF-8.
import { getMonotonicTimeNanoseconds, getSharedData, setSharedData, SharedDataResult, WasmResult } from "../proxy";
import { murmur2 } from "./murmur2";
import { Admit, BucketState, Rate, TakeResult, returnTokens, takeTokens } from "./token_bucket";

const VERSION: u8 = 1;
const HEADER = 17;
const PROBES = 4;
const MAX_ATTEMPTS = 32;
const CREATE_CAS: u32 = 0xffffffff;

// One probed slot as read.
class Slot {
  key: string = "";
  found: bool = false; // the shared-data key exists
  cas: u32 = 0;
  mine: bool = false; // holds the bucket key asked for
  state: BucketState = new BucketState();
}

export class SharedBuckets {
  // Takes that lost every CAS race and were not recorded (the verdict still
  // comes from the last state read).
  lostTakes: u64 = 0;
  // Takes that found no free slot and used their rule's overflow bucket.
  overflowTakes: u64 = 0;
  // CAS writes that failed and were retried.
  casRetries: u64 = 0;

  private slot: Slot = new Slot();
  private result: TakeResult = new TakeResult();

  /** name: unique per filter configuration within the vm_id, e.g. "mqmesh.kafka.quotas". */
  constructor(readonly name: string, readonly maxKeys: i32) {}

  /**
   * Takes n tokens from the bucket of `key` under `rate`. The returned object
   * is reused by the next take: read it before taking again.
   */
  take(key: string, n: i64, rate: Rate, mode: Admit, nowNs: i64 = -1): TakeResult {
    const now = nowNs >= 0 ? nowNs : <i64>getMonotonicTimeNanoseconds();
    const keyBytes = Uint8Array.wrap(String.UTF8.encode(key));
    const h = <u32>murmur2(keyBytes);
    const slots = <u32>max(this.maxKeys, 1);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The slot to write: the key's own, else the first reusable one.
      let target = "";
      let targetCas: u32 = 0;
      let targetFound = false;
      let targetState: BucketState | null = null;
      let overflow = false;
      for (let p: u32 = 0; p < <u32>PROBES && p < slots; p++) {
        const s = this.read(this.name + "/" + ((h + p) % slots).toString(), keyBytes, now);
        if (s.mine) {
          target = s.key;
          targetCas = s.cas;
          targetFound = true;
          targetState = s.state;
          break;
        }
        if (target.length == 0 && (!s.found || s.state.isFull(now))) {
          target = s.key;
          targetCas = s.cas;
          targetFound = s.found;
          // A reused slot starts as a fresh bucket, keeping its clock.
          targetState = new BucketState().set(0, s.found ? s.state.seen : 0);
        }
      }
      if (targetState == null) {
        overflow = true;
        const s = this.read(this.name + "/overflow/" + rate.name, keyBytes, now);
        target = s.key;
        targetCas = s.cas;
        targetFound = s.found;
        targetState = s.found ? s.state : new BucketState();
      }
      const state = targetState!;
      const out = takeTokens(state, now, n, rate, mode, this.result);
      const written = setSharedData(target, encode(state, keyBytes), targetFound ? targetCas : CREATE_CAS);
      if (written == WasmResult.Ok) {
        if (overflow) this.overflowTakes++;
        out.slot = out.admitted ? target : "";
        return out;
      }
      if (written != WasmResult.CasMismatch) break;
      this.casRetries++;
    }
    this.lostTakes++;
    this.result.slot = "";
    return this.result;
  }

  /**
   * Undoes an admitted take of n tokens (token_bucket.ts returnTokens);
   * `slot` is that take's TakeResult.slot. Retried on CAS races like a take.
   * False when there is nothing to give back: the take wrote nothing, or
   * its slot refilled and now holds another key's bucket.
   */
  giveBack(slot: string, key: string, n: i64, rate: Rate): bool {
    if (slot.length == 0) return false;
    const keyBytes = Uint8Array.wrap(String.UTF8.encode(key));
    // An overflow bucket is shared by any key of its rule: it is ours to give back to.
    const overflow = slot.startsWith(this.name + "/overflow/");
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const s = this.read(slot, keyBytes, 0);
      if (!s.found || (!s.mine && !overflow)) return false;
      returnTokens(s.state, n, rate);
      const written = setSharedData(slot, encode(s.state, keyBytes), s.cas);
      if (written == WasmResult.Ok) return true;
      if (written != WasmResult.CasMismatch) return false;
      this.casRetries++;
    }
    return false;
  }

  // Reads one shared-data key into this.slot (reused).
  private read(sharedKey: string, keyBytes: Uint8Array, now: i64): Slot {
    const s = this.slot;
    s.key = sharedKey;
    const r: SharedDataResult = getSharedData(sharedKey);
    s.found = r.status == WasmResult.Ok && r.value != null;
    s.cas = s.found ? r.cas : 0;
    s.mine = false;
    s.state.set(0, 0);
    if (!s.found) return s;
    const v = Uint8Array.wrap(r.value!);
    if (v.length < HEADER || v[0] != VERSION) {
      // Not ours to read: treat it as a full bucket of some other key.
      s.state.set(0, now);
      return s;
    }
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    s.state.set(view.getInt64(1, true), view.getInt64(9, true));
    s.mine = sameBytes(v, HEADER, keyBytes);
    return s;
  }
}

function sameBytes(v: Uint8Array, from: i32, key: Uint8Array): bool {
  if (v.length - from != key.length) return false;
  for (let i = 0; i < key.length; i++) if (unchecked(v[from + i]) != unchecked(key[i])) return false;
  return true;
}

function encode(state: BucketState, keyBytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(HEADER + keyBytes.length);
  const view = new DataView(out);
  view.setUint8(0, VERSION);
  view.setInt64(1, state.tat, true);
  view.setInt64(9, state.seen, true);
  Uint8Array.wrap(out).set(keyBytes, HEADER);
  return out;
}
