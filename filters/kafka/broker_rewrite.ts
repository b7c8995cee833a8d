// Broker address rewrite: every broker address the cluster tells a client
// (Metadata brokers, FindCoordinator's coordinator(s), DescribeCluster
// brokers, and the leader hints of Produce v10+ / Fetch v16+ NodeEndpoints)
// is replaced, by broker node id, with the sidecar address in front of that
// broker, so every connection of a multi-broker cluster goes through Envoy.
//
// Configuration (README.md, "Broker address rewrite"):
//   "brokerAddresses":   { "<nodeId>": "host:port", ... }     explicit, wins
//   "brokerAddressRule": { "host": "127.0.0.1", "portBase": 19092,
//                          "firstNodeId": 1, "lastNodeId": 3 }
//                        node n -> host:(portBase + n - firstNodeId)
// A node id that neither maps is left as the broker said and counted in
// mqmesh_kafka_unmapped_brokers_total;broker=<id>.
//
// Only the address fields change: the response is decoded and re-encoded
// with the codec, which keeps every other byte (unknown tagged fields too);
// a response with nothing to rewrite goes out as the original bytes.
import { ConfigReader } from "../../assembly/common/config";
import { JsonValue } from "../../assembly/common/json";
import { CounterFamily, LabelCap } from "../../assembly/common/labelled_metrics";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { DescribeClusterResponse } from "../../assembly/kafka/api/describe_cluster";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { FindCoordinatorResponse } from "../../assembly/kafka/api/find_coordinator";
import { MetadataResponse } from "../../assembly/kafka/api/metadata";
import { ProduceResponse } from "../../assembly/kafka/api/produce";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { KafkaExchange, KafkaInterceptor, KafkaResponse } from "./exchange";

export class BrokerAddress {
  constructor(readonly host: string, readonly port: i32) {}
}

// Both configuration forms, resolved per node id.
export class BrokerRewriteConfig {
  ids: i32[] = [];
  addresses: BrokerAddress[] = [];
  ruleHost: string = "";
  rulePortBase: i32 = 0;
  ruleFirst: i32 = 0;
  ruleLast: i32 = i32.MAX_VALUE;

  get enabled(): bool {
    return this.ids.length > 0 || this.ruleHost.length > 0;
  }

  // The sidecar address for a node id, or null when it has none.
  lookup(nodeId: i32): BrokerAddress | null {
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] == nodeId) return this.addresses[i];
    if (this.ruleHost.length == 0 || nodeId < this.ruleFirst || nodeId > this.ruleLast) return null;
    const port = <i64>this.rulePortBase + <i64>nodeId - <i64>this.ruleFirst;
    if (port > 65535) return null;
    return new BrokerAddress(this.ruleHost, <i32>port);
  }

  // Reads "brokerAddresses" and "brokerAddressRule" from the filter's
  // top-level object; errors are recorded on `c` with the field named.
  static parse(c: ConfigReader): BrokerRewriteConfig {
    const out = new BrokerRewriteConfig();
    const map = c.value("brokerAddresses");
    if (map != null) {
      if (!map.isObject) c.fail("brokerAddresses", "expected object of node id -> \"host:port\"");
      else out.readMap(c, map);
    }
    const hasRule = c.has("brokerAddressRule");
    const rule = c.obj("brokerAddressRule");
    if (hasRule) {
      const host = rule.requireStr("host");
      if (rule.has("host") && !validHost(host)) rule.fail("host", "expected a host name or IP address");
      out.rulePortBase = rule.requireInt("portBase", 1, 65535);
      out.ruleFirst = rule.int("firstNodeId", 0, 0, i32.MAX_VALUE);
      out.ruleLast = rule.int("lastNodeId", i32.MAX_VALUE, 0, i32.MAX_VALUE);
      if (out.ruleLast < out.ruleFirst) rule.fail("lastNodeId", "must be at least firstNodeId");
      else if (<i64>out.rulePortBase + <i64>out.ruleLast - <i64>out.ruleFirst > 65535 && rule.has("lastNodeId")) {
        rule.fail("lastNodeId", "portBase + lastNodeId - firstNodeId must be at most 65535");
      }
      out.ruleHost = validHost(host) ? host : "";
    }
    return out;
  }

  private readMap(c: ConfigReader, map: JsonValue): void {
    for (let i = 0; i < map.length; i++) {
      const key = map.keyAt(i);
      const field = "brokerAddresses." + key;
      const id = parseNodeId(key);
      if (id < 0) {
        c.fail(field, "the key must be a broker node id (a non-negative integer)");
        continue;
      }
      const v = map.at(i)!;
      const address = v.isString ? parseHostPort(v.asString()) : null;
      if (address == null) {
        c.fail(field, "expected \"host:port\" (port 1-65535)");
        continue;
      }
      if (this.ids.includes(id)) {
        c.fail(field, "node id " + id.toString() + " given twice");
        continue;
      }
      this.ids.push(id);
      this.addresses.push(address);
    }
  }
}

// Decimal node id without sign or leading zeros (other than "0"); -1 if not.
function parseNodeId(s: string): i32 {
  if (s.length == 0 || s.length > 10 || (s.length > 1 && s.charCodeAt(0) == 0x30)) return -1;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n > <i64>i32.MAX_VALUE ? -1 : <i32>n;
}

function validHost(host: string): bool {
  if (host.length == 0 || host.length > 255) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    // Letters, digits, '-', '.', '_' and ':' (IPv6); nothing a client would misread.
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x3a;
    if (!ok) return false;
  }
  return true;
}

// "host:port" or "[v6]:port" (Kafka advertises IPv6 hosts without brackets).
function parseHostPort(s: string): BrokerAddress | null {
  const colon = s.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = s.substring(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length - 1);
  else if (host.includes(":")) return null;
  const portText = s.substring(colon + 1);
  const port = parseNodeId(portText);
  if (port < 1 || port > 65535 || !validHost(host)) return null;
  return new BrokerAddress(host, port);
}

// Rewrites one response at a time; a response without a codec, or that does
// not decode, goes out unchanged.
export class BrokerRewriter extends KafkaInterceptor {
  private readonly unmapped: CounterFamily = new CounterFamily("mqmesh_kafka_unmapped_brokers_total", ["broker"]);
  private readonly rewritten: CounterFamily = new CounterFamily("mqmesh_kafka_rewritten_responses_total", ["api"]);
  // A broker reporting ever new node ids must not grow the stats without bound.
  private readonly unmappedIds: LabelCap = new LabelCap(64);
  private changed: bool = false;

  constructor(private config: BrokerRewriteConfig) {
    super();
  }

  handlesResponse(key: i32, v: i16): bool {
    if (!hasCodec(key, v)) return false;
    switch (key) {
      case ApiKey.Metadata:
      case ApiKey.FindCoordinator:
      case ApiKey.DescribeCluster:
        return true;
      // Leader hints (KIP-951) exist from these versions on.
      case ApiKey.Produce:
        return v >= 10;
      case ApiKey.Fetch:
        return v >= 16;
    }
    return false;
  }

  onResponseHead(x: KafkaExchange, head: FrameHead): Verdict {
    return Verdict.Hold;
  }

  onResponse(x: KafkaExchange, response: KafkaResponse): void {
    const key = x.api;
    // Leader hints ride in a top-level tag, only on NOT_LEADER_OR_FOLLOWER:
    // a produce response without one is not decoded.
    if (key == ApiKey.Produce && response.produceTags <= 0) return;
    const message = response.message;
    if (message == null) return;
    this.changed = false;
    switch (key) {
      case ApiKey.Metadata: {
        const brokers = (message as MetadataResponse).brokers;
        for (let i = 0; i < brokers.length; i++) this.rewrite(brokers[i], brokers[i].nodeId);
        break;
      }
      case ApiKey.FindCoordinator: {
        const r = message as FindCoordinatorResponse;
        if (x.version < 4) this.rewrite(r, r.nodeId);
        else for (let i = 0; i < r.coordinators.length; i++) this.rewrite(r.coordinators[i], r.coordinators[i].nodeId);
        break;
      }
      case ApiKey.DescribeCluster: {
        const brokers = (message as DescribeClusterResponse).brokers;
        for (let i = 0; i < brokers.length; i++) this.rewrite(brokers[i], brokers[i].brokerId);
        break;
      }
      case ApiKey.Produce: {
        const endpoints = (message as ProduceResponse).nodeEndpoints;
        for (let i = 0; i < endpoints.length; i++) this.rewrite(endpoints[i], endpoints[i].nodeId);
        break;
      }
      case ApiKey.Fetch: {
        const endpoints = (message as FetchResponse).nodeEndpoints;
        for (let i = 0; i < endpoints.length; i++) this.rewrite(endpoints[i], endpoints[i].nodeId);
        break;
      }
    }
    if (!this.changed) return;
    this.rewritten.add([apiKeyName(key)]);
    response.markChanged();
  }

  // Every message type naming a broker has `host` and `port` fields; the
  // generic is instantiated per type.
  private rewrite<T>(node: T, nodeId: i32): void {
    const to = this.target(nodeId, node.host, node.port);
    if (to == null) return;
    node.host = to.host;
    node.port = to.port;
  }

  // The address to put in place of (host, port) for a node, or null to leave
  // it: no node (an error answer carries -1), no mapping, or already there.
  private target(nodeId: i32, host: string, port: i32): BrokerAddress | null {
    if (nodeId < 0) return null;
    const to = this.config.lookup(nodeId);
    if (to == null) {
      this.unmapped.add([this.unmappedIds.resolve(nodeId.toString())]);
      return null;
    }
    if (to.host == host && to.port == port) return null;
    this.changed = true;
    return to;
  }
}
