// The SASL user of a Kafka connection, read in plaintext (SASL_PLAINTEXT, or
// TLS terminated by the sidecar) from the client's own authentication bytes,
// so policies can name `user:<glob>` principals. Only mechanisms that carry
// the user name in the clear are read:
//   PLAIN (RFC 4616): one token, authzid NUL authcid NUL password; the user
//     is authcid (Kafka rejects an authzid that differs from it).
//   SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, KIP-84): the client-first-message
//     "n,,n=<saslname>,r=<nonce>[,extensions]"; saslname escapes "," as "=2C"
//     and "=" as "=3D", and any other "=" makes the message invalid.
// Others (GSSAPI, OAUTHBEARER) leave the user empty.
//
// How the tokens travel (KIP-43, KIP-152): SaslHandshake (api key 17) names
// the mechanism. After a v1 handshake every token is a SaslAuthenticate
// (api key 36) request, auth_bytes BYTES in v0-1 and COMPACT_BYTES in v2 (the
// flexible version). After a v0 handshake the tokens are sent bare: each a
// 4-byte size and the token, with no Kafka request header, until the
// exchange ends. Java clients since 1.0, librdkafka and kafkajs all use v1
// when the broker offers SaslAuthenticate, and Kafka 4.x brokers no longer
// accept v0 (KIP-896); older clients and brokers still do.
//
// The user becomes `user` only when the broker has accepted the exchange
// (the response to the last client token has no error): a client that
// claims a name with a wrong password never gets it. The number of client
// tokens is 1 for PLAIN and 2 for SCRAM; after a v0 handshake with another
// mechanism, frames can no longer be told from requests (`opaque`).
import { BytesReader } from "../common/bytes_reader";
import { decodeUtf8 } from "../common/utf8";
import { ApiKey } from "./api_keys";
import { readBytes, readString } from "./primitives";

export const enum SaslMechanism {
  None = 0,
  Plain = 1,
  ScramSha256 = 2,
  ScramSha512 = 3,
  Other = 4,
}

export function saslMechanism(name: string): SaslMechanism {
  if (name == "PLAIN") return SaslMechanism.Plain;
  if (name == "SCRAM-SHA-256") return SaslMechanism.ScramSha256;
  if (name == "SCRAM-SHA-512") return SaslMechanism.ScramSha512;
  return name.length == 0 ? SaslMechanism.None : SaslMechanism.Other;
}

// Client tokens in a successful exchange; 0 when unknown.
function clientTokens(m: SaslMechanism): i32 {
  if (m == SaslMechanism.Plain) return 1;
  if (m == SaslMechanism.ScramSha256 || m == SaslMechanism.ScramSha512) return 2;
  return 0;
}

/** The authentication identity of a PLAIN token, or null if it is not one. */
export function plainUser(token: Uint8Array): string | null {
  let first = -1;
  let second = -1;
  for (let i = 0; i < token.length; i++) {
    if (token[i] != 0) continue;
    if (first < 0) first = i;
    else if (second < 0) second = i;
    else return null; // a third NUL: not authzid NUL authcid NUL passwd
  }
  if (second < 0 || second == first + 1) return null;
  return decodeUtf8(token.dataStart + <usize>(first + 1), second - first - 1);
}

/** The user name of a SCRAM client-first-message, unescaped, or null. */
export function scramUser(token: Uint8Array): string | null {
  const text = decodeUtf8(token.dataStart, token.length);
  // gs2-header: cbind flag ("n", "y" or "p=<name>"), "," [authzid] ","
  const c0 = text.length > 0 ? text.charCodeAt(0) : 0;
  if (c0 != 0x6e && c0 != 0x79 && c0 != 0x70) return null;
  const comma1 = text.indexOf(",");
  const comma2 = comma1 < 0 ? -1 : text.indexOf(",", comma1 + 1);
  if (comma2 < 0 || !text.startsWith("n=", comma2 + 1)) return null;
  const start = comma2 + 3;
  let end = text.indexOf(",", start);
  if (end < 0) return null; // "r=<nonce>" must follow
  if (!text.startsWith("r=", end + 1)) return null;
  let user = "";
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c != 0x3d) {
      user += String.fromCharCode(c);
      i++;
      continue;
    }
    const escape = text.substring(i, i + 3);
    if (escape == "=2C") user += ",";
    else if (escape == "=3D") user += "=";
    else return null;
    i += 3;
  }
  if (user.length == 0 || i != end) return null;
  return user;
}

/** The user a mechanism's first client token names, or null. */
export function userOfToken(m: SaslMechanism, token: Uint8Array): string | null {
  if (m == SaslMechanism.Plain) return plainUser(token);
  if (m == SaslMechanism.ScramSha256 || m == SaslMechanism.ScramSha512) return scramUser(token);
  return null;
}

/** One connection's SASL exchange, fed the frames the filter sees. */
export class SaslSession {
  mechanism: SaslMechanism = SaslMechanism.None;
  mechanismName: string = "";
  // The user once the broker accepted the exchange ("" before, or without SASL).
  user: string = "";
  // The user the client's token named, while the broker has not answered.
  claimedUser: string = "";
  // After a v0 handshake with a mechanism whose token count is unknown:
  // client frames can no longer be told apart from requests.
  opaque: bool = false;
  private handshakeVersion: i16 = -1;
  private rawExchange: bool = false;
  private tokensSent: i32 = 0;
  private tokensAnswered: i32 = 0;

  /** True when the next client frame is a bare v0 token, not a request. */
  get expectsRawClientToken(): bool {
    return this.rawExchange && this.tokensSent == this.tokensAnswered && this.tokensSent < clientTokens(this.mechanism);
  }

  /** True when the next server frame answers a bare token. */
  get expectsRawServerToken(): bool {
    return this.rawExchange && this.tokensAnswered < this.tokensSent;
  }

  /** A request's body (the reader after its header). */
  onRequest(apiKey: i16, version: i16, body: BytesReader): void {
    if (apiKey == ApiKey.SaslHandshake) {
      const name = readString(body, false);
      if (!body.ok) return;
      this.mechanismName = name;
      this.mechanism = saslMechanism(name);
      this.handshakeVersion = version;
      this.tokensSent = 0;
      this.tokensAnswered = 0;
      this.claimedUser = "";
    } else if (apiKey == ApiKey.SaslAuthenticate) {
      const token = readBytes(body, version >= 2);
      if (body.ok) this.clientToken(token);
    }
  }

  /** The error code of a SaslHandshake or SaslAuthenticate response. */
  onResponse(apiKey: i16, errorCode: i16): void {
    if (apiKey == ApiKey.SaslHandshake) {
      if (errorCode != 0 || this.handshakeVersion != 0) return;
      this.rawExchange = clientTokens(this.mechanism) > 0;
      this.opaque = !this.rawExchange;
    } else if (apiKey == ApiKey.SaslAuthenticate) {
      this.answered(errorCode == 0);
    }
  }

  /** A bare client token after a v0 handshake (the frame's payload). */
  onRawClientToken(token: Uint8Array): void {
    this.clientToken(token);
  }

  /** The server's bare answer to a client token (Kafka closes the connection instead on failure). */
  onRawServerToken(): void {
    this.answered(true);
    if (this.tokensAnswered >= clientTokens(this.mechanism)) this.rawExchange = false;
  }

  private clientToken(token: Uint8Array): void {
    if (this.tokensSent == 0) {
      const user = userOfToken(this.mechanism, token);
      this.claimedUser = user == null ? "" : user;
    }
    this.tokensSent++;
  }

  private answered(ok: bool): void {
    this.tokensAnswered++;
    if (!ok) {
      this.claimedUser = "";
      return;
    }
    if (this.tokensAnswered == clientTokens(this.mechanism) && this.claimedUser.length > 0) {
      this.user = this.claimedUser;
      this.claimedUser = "";
    }
  }
}
