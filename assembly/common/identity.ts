// Who is calling, as a mesh names workloads: the mTLS peer certificate's URI
// SAN (a SPIFFE id under Istio, "spiffe://cluster.local/ns/shop/sa/orders")
// and subject, the source address, and what the protocol itself says (the
// Kafka client.id, a SASL user sent in plaintext, a RocketMQ AccessKey, a
// producer or consumer group). Policies (ACLs, quotas) match rules against it
// (principal.ts); metrics label by principalLabel().
//
// One Identity per connection. The connection's part is read from Envoy's
// connection properties once, on the first bytes from the client: a network
// filter's onNewConnection runs before the TLS handshake has finished, so the
// peer certificate is not known yet then, but no application byte arrives
// before it is. The protocol's part is filled in by the filter as requests
// name it.
//
// Envoy (filters/common/expr/context.cc) answers a network filter from the
// connection's stream info: uri_san_peer_certificate is the FIRST URI SAN of
// the peer certificate only (absent when it has none; a SPIFFE X.509-SVID has
// exactly one), subject_peer_certificate the subject in RFC 2253 form ("" for
// TLS without a client certificate, absent without TLS), source.address
// "ip:port" or "[ipv6]:port", source.port an integer.
import { getPropertyInt, getPropertyString } from "../proxy";
import { parseIp } from "./ip_address";

// The label of a caller with no identity at all.
export const ANONYMOUS = "anonymous";

export class Identity {
  // URI SAN of the peer certificate ("" without mTLS).
  uriSan: string = "";
  // Subject of the peer certificate, e.g. "CN=orders,O=shop" ("" without mTLS).
  subject: string = "";
  // Source IP address in text form, without the port ("" when unknown).
  sourceAddress: string = "";
  // sourceAddress as bytes (4 for IPv4, also when IPv4-mapped IPv6; 16 for
  // IPv6), null when it is no IP address (a unix socket path).
  sourceIp: Uint8Array | null = null;
  sourcePort: i32 = 0;
  // Kafka client.id / RocketMQ clientId ("" until a request names one).
  clientId: string = "";
  // SASL/PLAIN or SCRAM user seen in plaintext, or the RocketMQ AccessKey
  // that signs requests ("" when none).
  user: string = "";
  // RocketMQ producer or consumer group of the request being judged.
  group: string = "";
  // True once the connection's part was read.
  resolved: bool = false;

  // Reads the connection's part from Envoy (once; later calls do nothing).
  resolve(): void {
    if (this.resolved) return;
    this.resolved = true;
    const san = getPropertyString(["connection", "uri_san_peer_certificate"]);
    if (san != null) this.uriSan = san;
    const subject = getPropertyString(["connection", "subject_peer_certificate"]);
    if (subject != null) this.subject = subject;
    const source = getPropertyString(["source", "address"]);
    if (source != null) this.setSource(source);
    const port = getPropertyInt(["source", "port"], 0);
    if (port > 0 && port < 65536) this.sourcePort = <i32>port;
  }

  // "10.0.0.1:4000" or "[::1]:4000" -> address and port.
  setSource(address: string): void {
    let host = address;
    let port = "";
    if (address.startsWith("[")) {
      const close = address.indexOf("]");
      if (close > 0) {
        host = address.substring(1, close);
        if (address.length > close + 2 && address.charCodeAt(close + 1) == 0x3a) port = address.substring(close + 2);
      }
    } else {
      const colon = address.lastIndexOf(":");
      // One colon: IPv4 with port; several: a bare IPv6 address.
      if (colon > 0 && address.indexOf(":") == colon) {
        host = address.substring(0, colon);
        port = address.substring(colon + 1);
      }
    }
    this.sourceAddress = host;
    const ip = parseIp(host);
    this.sourceIp = ip == null ? null : normalizeIp(ip);
    const p = parsePort(port);
    if (p > 0) this.sourcePort = p;
  }

  // The principal as metrics show it: the strongest identity there is.
  label(): string {
    if (this.uriSan.length > 0) return this.uriSan;
    if (this.subject.length > 0) return this.subject;
    if (this.user.length > 0) return "user:" + this.user;
    return ANONYMOUS;
  }
}

const V4_MAPPED_PREFIX: u8[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its 4 IPv4 bytes; any
 *  other address unchanged. */
export function normalizeIp(ip: Uint8Array): Uint8Array {
  if (ip.length != 16) return ip;
  for (let i = 0; i < 12; i++) if (ip[i] != V4_MAPPED_PREFIX[i]) return ip;
  return ip.slice(12);
}

function parsePort(s: string): i32 {
  if (s.length == 0 || s.length > 5) return 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 0;
    n = n * 10 + (c - 0x30);
  }
  return n < 65536 ? n : 0;
}
