// Mesh-wide limits through a rate limit service that speaks Envoy's protocol
// (envoyproxy/ratelimit backed by Redis): rules marked `global` ask it, over
// proxy_grpc_call, whether a request's hits fit, so sidecars that do not
// share memory share one limit.
//
//   "rateLimitService": {"cluster": "mqmesh_ratelimit", "domain": "mqmesh",
//                        "timeoutMs": 200, "failureMode": "open"}
//
// Why a verdict per key rather than per request: a network filter cannot
// hold every request for a round trip to the service without stalling the
// connection, so a request goes on at once and reports its hits; the answer
// governs what follows. Per key (a rule's descriptor set: rule + principal +
// topic...) the client keeps the last answer: OVER_LIMIT holds until the
// service's duration_until_reset has passed; OK lets requests through. At
// most one call per key is in flight; hits that arrive meanwhile are summed
// and sent with the next call, so the service sees every hit and the call
// rate stays bounded. A call that fails (timeout, no healthy host, unknown
// cluster, an answer that does not parse) applies `failureMode` until an
// answer arrives: open lets requests through, closed holds them back for
// FAILURE_WAIT_MS at a time. Envoy ends a call at its timeout with
// DeadlineExceeded; a call still unanswered after twice the timeout is
// treated as failed too, so a lost callback cannot stall a key.
//
// Answers go to the owner context given to the constructor (the filter's
// root context), which passes onGrpcReceive/onGrpcClose here: a connection
// may be gone when its key's answer comes back. State is per worker; keys
// are capped at maxKeys (an idle key is forgotten first).
import { HeaderPair, getCurrentTimeNanoseconds, getMonotonicTimeNanoseconds, grpcCall, grpcReceiveBuffer, WasmResult } from "../proxy";
import { ConfigReader } from "./config";
import { Descriptor, RLS_METHOD, RLS_SERVICE, RateLimitAnswer, RlsCode, decodeRateLimitResponse, encodeRateLimitRequest } from "./ratelimit_proto";

export const enum FailureMode {
  Open = 0,
  Closed = 1,
}

// How long a failed call holds requests back under failureMode closed
// before the next request tries the service again.
export const FAILURE_WAIT_MS: i64 = 1000;
// OVER_LIMIT without duration_until_reset: assume the service's smallest unit.
const DEFAULT_RESET_MS: i64 = 1000;

export class RateLimitServiceConfig {
  cluster: string = "";
  domain: string = "mqmesh";
  timeoutMs: i32 = 200;
  failureMode: FailureMode = FailureMode.Open;

  /** The root's `field` section, or null when it is absent. */
  static read(root: ConfigReader, field: string = "rateLimitService"): RateLimitServiceConfig | null {
    if (!root.has(field)) {
      root.allow(field);
      return null;
    }
    const c = root.obj(field);
    const out = new RateLimitServiceConfig();
    out.cluster = c.requireStr("cluster");
    if (c.has("cluster") && out.cluster.length == 0) c.fail("cluster", "must name the Envoy cluster of the rate limit service");
    out.domain = c.str("domain", out.domain);
    if (out.domain.length == 0) c.fail("domain", "must not be empty");
    out.timeoutMs = c.int("timeoutMs", out.timeoutMs, 1, 60000);
    out.failureMode = <FailureMode>c.choice("failureMode", ["open", "closed"], FailureMode.Open);
    return out;
  }
}

/** What the last answer says for a key. */
export class GlobalVerdict {
  // Hold the request back (throttle it, or refuse it) for waitMs.
  over: bool = false;
  waitMs: i64 = 0;
  // The verdict comes from failureMode (the service did not answer).
  failed: bool = false;
  // limit_remaining of the last OK answer (smallest over its statuses), -1 unknown.
  remaining: i64 = -1;
  // response_headers_to_add of the last answer (e.g. x-ratelimit-*).
  headers: HeaderPair[] = [];
}

class KeyState {
  descriptors: Descriptor[] = [];
  pendingHits: u64 = 0;
  token: u32 = 0; // the call in flight, 0 for none
  sentAtMs: i64 = 0;
  overUntilMs: i64 = 0;
  failed: bool = false;
  remaining: i64 = -1;
  headers: HeaderPair[] = [];
  constructor(readonly key: string) {}

  get idle(): bool {
    return this.token == 0 && this.pendingHits == 0 && this.overUntilMs == 0 && !this.failed;
  }
}

export class GlobalLimiter {
  // Calls made, and answers by outcome; for metrics and tests.
  calls: u64 = 0;
  failures: u64 = 0;
  private keys: Map<string, KeyState> = new Map();
  private byToken: Map<u32, KeyState> = new Map();
  private verdict: GlobalVerdict = new GlobalVerdict();

  constructor(readonly config: RateLimitServiceConfig, readonly ownerContextId: u32, readonly maxKeys: i32 = 10000) {}

  /**
   * Reports `hits` for a request under `key` (described by `descriptors`)
   * and returns the verdict of the last answer for that key. The returned
   * object is reused by the next check.
   */
  check(key: string, descriptors: Descriptor[], hits: u64, nowMs: i64 = -1): GlobalVerdict {
    const now = nowMs >= 0 ? nowMs : monotonicMs();
    const state = this.stateOf(key);
    if (state.token != 0 && now - state.sentAtMs > 2 * <i64>this.config.timeoutMs) {
      // Never answered: Envoy should have closed it at its timeout.
      this.byToken.delete(state.token);
      state.token = 0;
      this.fail(state);
    }
    state.descriptors = descriptors;
    state.pendingHits += hits;
    if (state.token == 0 && state.pendingHits > 0) this.send(state, now);

    const v = this.verdict;
    v.over = false;
    v.waitMs = 0;
    v.failed = false;
    if (state.overUntilMs > now) {
      v.over = true;
      v.waitMs = state.overUntilMs - now;
    } else {
      state.overUntilMs = 0;
      if (state.failed) {
        v.failed = true;
        if (this.config.failureMode == FailureMode.Closed) {
          v.over = true;
          v.waitMs = FAILURE_WAIT_MS;
        }
      }
    }
    v.remaining = state.remaining;
    v.headers = state.headers;
    return v;
  }

  /** From the owner's onGrpcReceive; false when the call is not this limiter's. */
  onGrpcReceive(token: u32, messageSize: u32): bool {
    const state = this.answered(token);
    if (state == null) return false;
    const raw = grpcReceiveBuffer.get(0, messageSize);
    let answer: RateLimitAnswer | null = null;
    if (raw != null) answer = decodeRateLimitResponse(Uint8Array.wrap(raw));
    // UNKNOWN, or a code this protocol version does not define, is no verdict.
    if (answer == null || (answer.overallCode != RlsCode.Ok && answer.overallCode != RlsCode.OverLimit)) {
      this.fail(state);
      return true;
    }
    const now = monotonicMs();
    state.failed = false;
    state.headers = answer.responseHeaders;
    let remaining: i64 = -1;
    let resetMs: i64 = -1;
    for (let i = 0; i < answer.statuses.length; i++) {
      const s = answer.statuses[i];
      if (s.requestsPerUnit > 0 && (remaining < 0 || <i64>s.limitRemaining < remaining)) remaining = <i64>s.limitRemaining;
      if (s.code == RlsCode.OverLimit && s.resetMs > resetMs) resetMs = s.resetMs;
    }
    state.remaining = remaining;
    if (answer.overallCode == RlsCode.OverLimit) {
      state.overUntilMs = now + windowLeftMs(resetMs > 0 ? resetMs : DEFAULT_RESET_MS);
      state.remaining = 0;
    } else {
      state.overUntilMs = 0;
    }
    // Hits that arrived while this call was out go now.
    if (state.pendingHits > 0) this.send(state, now);
    return true;
  }

  /** From the owner's onGrpcClose; a close of a unary call is its failure. */
  onGrpcClose(token: u32, statusCode: u32): bool {
    const state = this.answered(token);
    if (state == null) return false;
    this.fail(state);
    return true;
  }

  // The key whose call `token` was, no longer in flight; null when not ours.
  private answered(token: u32): KeyState | null {
    if (!this.byToken.has(token)) return null;
    const state = this.byToken.get(token);
    this.byToken.delete(token);
    state.token = 0;
    return state;
  }

  /** Keys with a call in flight. */
  get inFlight(): i32 {
    return this.byToken.size;
  }

  private fail(state: KeyState): void {
    this.failures++;
    state.failed = true;
  }

  private send(state: KeyState, now: i64): void {
    const hits = state.pendingHits > <u64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>state.pendingHits;
    state.pendingHits -= <u64>hits;
    const c = this.config;
    const message = encodeRateLimitRequest(c.domain, state.descriptors, hits);
    this.calls++;
    const r = grpcCall(c.cluster, RLS_SERVICE, RLS_METHOD, [], message.buffer, <u32>c.timeoutMs, this.ownerContextId);
    if (r.status != WasmResult.Ok) {
      this.fail(state);
      return;
    }
    state.token = r.token;
    state.sentAtMs = now;
    this.byToken.set(r.token, state);
  }

  private stateOf(key: string): KeyState {
    if (this.keys.has(key)) return this.keys.get(key);
    if (this.keys.size >= this.maxKeys) this.forgetOne();
    const s = new KeyState(key);
    this.keys.set(key, s);
    return s;
  }

  // Forgets an idle key if one is found among the oldest, else the oldest.
  private forgetOne(): void {
    const keys = this.keys.keys();
    let victim = keys.length > 0 ? keys[0] : "";
    for (let i = 0; i < keys.length && i < 64; i++) {
      if (this.keys.get(keys[i]).idle) {
        victim = keys[i];
        break;
      }
    }
    if (!this.keys.has(victim)) return;
    const s = this.keys.get(victim);
    if (s.token != 0) this.byToken.delete(s.token);
    this.keys.delete(victim);
  }
}

// envoyproxy/ratelimit counts in fixed windows aligned to whole Unix
// seconds (minutes...) and answers duration_until_reset in whole seconds,
// rounded up: "1 s" at 12.3 s means the window ends at 13.0 s. Waiting the
// full second would skip part of the next window (a per-second limit
// would then pass only about 80% of its rate), so a whole-second answer is
// taken to end at the whole second of the wall clock. A clock that crossed
// a second since the service read its own only makes the wait a second
// longer, as the answer said.
function windowLeftMs(resetMs: i64): i64 {
  if (resetMs % 1000 != 0) return resetMs;
  const wallMs = <i64>(getCurrentTimeNanoseconds() / 1_000_000);
  return max<i64>((wallMs / 1000) * 1000 + resetMs - wallMs, 1);
}

function monotonicMs(): i64 {
  return <i64>(getMonotonicTimeNanoseconds() / 1_000_000);
}
