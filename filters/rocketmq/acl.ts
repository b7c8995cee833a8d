// The ACL of the rocketmq filter: every request judged by the resources it
// names and the action it performs, as RocketMQ's own ACL 2.0 reads them
// (assembly/rocketmq/authorization*.ts; the table is
// docs/rocketmq-authorization.md), for the caller the mesh knows
// (Identity: mTLS peer, source address, client id, AccessKey, the request's
// group), with the rules of assembly/rocketmq/policy.ts.
//
// Enforced by request substitution: a network filter cannot write to the
// client, so a denied request is answered by the filter (shortCircuit): it
// goes to the server as the GET_BROKER_CLUSTER_INFO stand-in (exchange.ts),
// and the client gets, in place of that answer, NO_PERMISSION for its own
// request, in its serialization, with a remark naming the sidecar. A denied
// oneway request (UPDATE_CONSUMER_OFFSET from most clients) is dropped.
//
// Fail closed: once a rule can deny, a code the map does not know, a request
// that does not decode or misses a resource it must name, and a request too
// large to hold that must be read whole are refused (and counted by reason).
// Answers that list topics or groups are filtered to what the caller may
// see (listing.ts); one that cannot be read is replaced by NO_PERMISSION.
//
// Only the header is needed to decide, or the whole frame for codes that
// name resources in their body; only denied requests are held.
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { Identity } from "../../assembly/common/identity";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { actionNames, Requirement, Requirements, resourceTypeName, RESOURCE_GROUP, RESOURCE_TOPIC } from "../../assembly/rocketmq/authorization";
import { ANSWER_GROUP_LIST, ANSWER_NONE, BODY_NONE, codeRule } from "../../assembly/rocketmq/authorization_codes";
import { readRemotingRequirements } from "../../assembly/rocketmq/authorization_remoting";
import { remotingCaller } from "../../assembly/rocketmq/caller";
import { decodeCommand, encodeCommand } from "../../assembly/rocketmq/codec";
import { RemotingCommand } from "../../assembly/rocketmq/command";
import { FramePeek, encodeFrame, splitFrame } from "../../assembly/rocketmq/frame";
import { filterAnswer, NameFilter } from "../../assembly/rocketmq/listing";
import { RocketMQPolicy, LISTING_BITS } from "../../assembly/rocketmq/policy";
import { GET_ROUTEINFO_BY_TOPIC, requestCodeLabel } from "../../assembly/rocketmq/request_codes";
import { NO_PERMISSION, SUCCESS } from "../../assembly/rocketmq/response_codes";
import { RemotingResponse, RocketMQExchange, RocketMQInterceptor } from "./exchange";
import { RocketMQMetrics } from "./metrics";

const EMPTY = new Uint8Array(0);
const REMARK_END = " by the sidecar's ACL";

export class RocketMQAclPolicy extends RocketMQInterceptor {
  readonly denied: CounterFamily = new CounterFamily("mqmesh_rocketmq_denied_requests_total", ["code", "topic"]);
  // Requests refused without being judged by their resources: reason
  // unknown (a code the map does not know or no server serves), unreadable
  // (does not decode, or misses a resource), oversize (cannot be held).
  readonly refused: CounterFamily = new CounterFamily("mqmesh_rocketmq_acl_refused_total", ["code", "reason"]);
  // Names left out of listing answers.
  readonly hidden: CounterFamily = new CounterFamily("mqmesh_rocketmq_acl_hidden_names_total", ["code"]);
  private readonly listing: ListingFilter;

  constructor(readonly policy: RocketMQPolicy, private metrics: RocketMQMetrics) {
    super();
    this.listing = new ListingFilter(policy);
  }

  // Every request, once some rule can deny.
  handlesRequest(code: i32, version: i16): bool {
    return this.policy.enabled && this.policy.denies;
  }

  // Answers that list topics or groups are filtered.
  handlesResponse(code: i32, version: i16): bool {
    if (!this.handlesRequest(code, version)) return false;
    const rule = codeRule(code);
    return rule !== null && rule.answer != ANSWER_NONE;
  }

  onRequestHead(x: RocketMQExchange, head: FrameHead): Verdict {
    const peek = x.header!;
    const rule = codeRule(x.api);
    const need = rule !== null && rule.body != BODY_NONE ? head.frameSize : 4 + peek.headerLength;
    if (head.bytes.length < need) {
      // What has not arrived of a frame too large to keep will never be seen.
      if (head.oversize && head.shownAll) return this.unenforceable(x);
      return Verdict.NeedMore;
    }
    const answer = this.check(head.bytes.subarray(0, need), peek, x.session.identity);
    if (answer == null) return Verdict.Pass;
    // A frame too large to keep cannot be withheld.
    if (head.oversize) return this.unenforceable(x);
    x.shortCircuit(answer);
    return Verdict.Hold;
  }

  // A request the ACL must judge but cannot hold (larger than maxFrameBytes,
  // before what it must read was complete): the connection is closed.
  private unenforceable(x: RocketMQExchange): Verdict {
    this.metrics.unparsed.add(["oversize"]);
    this.refused.add([x.codeLabel, "oversize"]);
    this.denied.add([x.codeLabel, "_"]);
    return Verdict.Close;
  }

  // `frame`: the request after its size prefix, at least its whole header
  // (its whole body too for codes naming resources there). The answer to
  // send back (empty for a oneway request), or null when allowed.
  private check(frame: Uint8Array, peek: FramePeek, caller: Identity): Uint8Array | null {
    const code = peek.code;
    const codeLabel = requestCodeLabel(code);
    const decoded = decodeCommand(frame);
    if (!decoded.ok) return this.refuse(peek, null, codeLabel, "unreadable", "the request does not decode (" + decoded.error! + ")");
    const cmd = decoded.command!;
    const reqs = readRemotingRequirements(code, cmd.extFields, cmd.body);
    this.learnCaller(code, cmd, reqs, caller);
    if (!reqs.known) return this.refuse(peek, cmd, codeLabel, "unknown", "request code " + code.toString() + " is unknown to the sidecar");
    if (reqs.unreadable !== null) return this.refuse(peek, cmd, codeLabel, "unreadable", reqs.unreadable!);
    const routeLookup = code == GET_ROUTEINFO_BY_TOPIC;
    let first: Requirement | null = null;
    for (let i = 0; i < reqs.items.length; i++) {
      const item = unchecked(reqs.items[i]);
      if (this.policy.allowsRequirement(item, routeLookup, caller)) continue;
      this.denied.add([codeLabel, item.type == RESOURCE_TOPIC ? this.metrics.topic(item.name) : "_"]);
      if (first === null) first = item;
    }
    if (first === null) return null;
    const what = actionNames(first.actions) + " on " + resourceTypeName(first.type).toLowerCase() +
      (first.name.length > 0 ? " " + first.name : "");
    return answer(peek, cmd, what + " denied" + REMARK_END);
  }

  private refuse(peek: FramePeek, cmd: RemotingCommand | null, codeLabel: string, reason: string, why: string): Uint8Array {
    this.refused.add([codeLabel, reason]);
    this.denied.add([codeLabel, "_"]);
    return answer(peek, cmd, why + "; denied" + REMARK_END);
  }

  // The caller as this request names it: its AccessKey and client id stay
  // with the connection; the group is this request's.
  private learnCaller(code: i32, cmd: RemotingCommand, reqs: Requirements, caller: Identity): void {
    const c = remotingCaller(code, cmd.extFields, cmd.body, reqs);
    if (c.accessKey.length > 0) caller.user = c.accessKey;
    if (c.clientId.length > 0) caller.clientId = c.clientId;
    caller.group = c.group;
  }

  onResponseHead(x: RocketMQExchange, head: FrameHead): Verdict {
    if (x.responseCode != SUCCESS) return Verdict.Pass;
    if (head.oversize) {
      // A listing too large to read cannot be filtered: fail closed.
      this.metrics.unparsed.add(["oversize"]);
      this.refused.add([x.codeLabel, "oversize"]);
      return Verdict.Close;
    }
    return Verdict.Hold;
  }

  onResponse(x: RocketMQExchange, response: RemotingResponse): void {
    const caller = x.session.identity;
    caller.group = ""; // a listing request names no group
    this.listing.caller = caller;
    this.listing.type = codeRule(x.api)!.answer == ANSWER_GROUP_LIST ? RESOURCE_GROUP : RESOURCE_TOPIC;
    const parts = splitFrame(response.bytes);
    if (parts.ok) {
      const filtered = filterAnswer(x.api, parts.body, this.listing);
      if (filtered.ok) {
        if (filtered.removed == 0) return;
        this.hidden.add([x.codeLabel], <u64>filtered.removed);
        response.replace(encodeFrame(parts.serializeType, parts.header, filtered.body));
        return;
      }
    }
    // Unreadable: what it lists cannot be told apart, so nothing is shown.
    this.refused.add([x.codeLabel, "unreadable"]);
    const cmd = response.command();
    if (cmd == null) {
      response.replace(EMPTY);
      x.close();
      return;
    }
    cmd.code = NO_PERMISSION;
    cmd.remark = "mqmesh: an unreadable listing withheld" + REMARK_END;
    cmd.body = EMPTY;
    response.markChanged();
  }
}

// The caller's view of a listing.
class ListingFilter extends NameFilter {
  caller: Identity = new Identity();
  type: u8 = RESOURCE_TOPIC;
  constructor(private policy: RocketMQPolicy) {
    super();
  }

  keep(name: string): bool {
    return this.policy.allows(this.type, name, LISTING_BITS, this.caller);
  }
}

// NO_PERMISSION for the request (empty for a oneway one).
function answer(peek: FramePeek, cmd: RemotingCommand | null, remark: string): Uint8Array {
  if (peek.isOneway) return EMPTY;
  const original = cmd != null ? cmd : fromPeek(peek);
  return encodeCommand(RemotingCommand.responseTo(original, NO_PERMISSION, "mqmesh: " + remark));
}

// What an undecodable request still tells: enough to answer it.
function fromPeek(peek: FramePeek): RemotingCommand {
  const c = RemotingCommand.request(peek.code, peek.opaque, peek.serializeType);
  c.flag = peek.flag;
  return c;
}
