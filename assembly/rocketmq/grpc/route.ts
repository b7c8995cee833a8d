// QueryRouteRequest {Resource topic = 1; Endpoints endpoints = 2;}
// QueryRouteResponse {Status status = 1; repeated MessageQueue message_queues = 2;}
// QueryAssignmentRequest {Resource topic = 1; Resource group = 2; Endpoints endpoints = 3;}
// QueryAssignmentResponse {Status status = 1; repeated Assignment assignments = 2;}
//   Assignment {MessageQueue message_queue = 1;}
//   MessageQueue {...; Broker broker = 4; ...}   Broker {string name = 1; int32 id = 2; Endpoints endpoints = 3;}
//   Endpoints {AddressScheme scheme = 1; repeated Address addresses = 2;}
//   Address {string host = 1; int32 port = 2;}   AddressScheme: IPv4 = 1, IPv6 = 2, DOMAIN_NAME = 3
// Clients connect to the broker endpoints a route names; rewriting them to
// the sidecar keeps every later call (send, receive, ack) in the mesh.
import { FieldRewriter, ProtoWriter, rewriteAt } from "../../common/protobuf";
import { resourceField, writeResource } from "./resource";
import { GroupTopic } from "./receive";

export const SCHEME_IPV4: i32 = 1;
export const SCHEME_IPV6: i32 = 2;
export const SCHEME_DOMAIN_NAME: i32 = 3;

export function readQueryRouteTopic(msg: Uint8Array): string | null {
  const res = resourceField(msg, 1);
  return res == null ? null : res.name;
}

export function readQueryAssignmentRequest(msg: Uint8Array): GroupTopic | null {
  const topic = resourceField(msg, 1);
  const group = resourceField(msg, 2);
  if (topic == null) return null;
  const out = new GroupTopic();
  out.topic = topic.name;
  out.group = group == null ? "" : group.name;
  return out;
}

// The scheme RocketMQ clients expect for a host: a dotted quad is IPv4, a
// host with ':' IPv6, anything else a domain name.
export function schemeOf(host: string): i32 {
  if (host.indexOf(":") >= 0) return SCHEME_IPV6;
  const parts = host.split(".");
  if (parts.length != 4) return SCHEME_DOMAIN_NAME;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (p.length == 0 || p.length > 3) return SCHEME_DOMAIN_NAME;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return SCHEME_DOMAIN_NAME;
    }
  }
  return SCHEME_IPV4;
}

export function encodeEndpoints(host: string, port: i32): Uint8Array {
  const address = new ProtoWriter();
  address.string(1, host);
  address.int32(2, port);
  const w = new ProtoWriter();
  w.int32(1, schemeOf(host));
  w.message(2, address);
  return w.toBytes();
}

class ReplaceWith extends FieldRewriter {
  constructor(private replacement: Uint8Array) {
    super();
  }

  rewrite(payload: Uint8Array): Uint8Array | null {
    if (payload.length == this.replacement.length && memory.compare(payload.dataStart, this.replacement.dataStart, payload.length) == 0) return null;
    return this.replacement;
  }
}

const ROUTE_PATH: u32[] = [2, 4, 3];
const ASSIGNMENT_PATH: u32[] = [2, 1, 4, 3];

// The response with every broker's endpoints replaced by `endpoints` (from
// encodeEndpoints); null when nothing changed or the response does not parse.
export function rewriteRouteEndpoints(msg: Uint8Array, endpoints: Uint8Array, count: StaticArray<i32>): Uint8Array | null {
  return rewriteAt(msg, ROUTE_PATH, new ReplaceWith(endpoints), count);
}

export function rewriteAssignmentEndpoints(msg: Uint8Array, endpoints: Uint8Array, count: StaticArray<i32>): Uint8Array | null {
  return rewriteAt(msg, ASSIGNMENT_PATH, new ReplaceWith(endpoints), count);
}

// A QueryRouteRequest for one topic, without endpoints: enough to learn
// whether the topic exists (the status), not to use the route's addresses.
export function queryRouteRequest(namespace: string, topic: string): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, writeResource(namespace, topic));
  return w.toBytes();
}
