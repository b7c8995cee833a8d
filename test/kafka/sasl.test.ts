// The SASL user reader (assembly/kafka/sasl.ts) through the .wasm, on bytes
// real clients produce: connections of kafkajs, kcat (librdkafka) and
// Kafka's Java client with a real broker (test/recordings/kafka/sasl.json,
// scripts/record-kafka-sasl.ts), kafkajs's own SaslHandshake /
// SaslAuthenticate encoders and PLAIN and SCRAM authenticators (driven here
// up to the point where a broker would check the proof), and the RFC 5802 /
// RFC 7677 SCRAM examples. The expected users are the ones the clients were
// configured with, and whether they count is what the broker answered.
import { createRequire } from "node:module";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { loadPureModule } from "../support/pure-module.ts";
import { chunksOf, loadRecording } from "../support/recordings.ts";
import type { SaslRecording } from "../../scripts/record-kafka-sasl.ts";

interface SaslFixture {
  reset(): void;
  clientFrame(frame: Uint8Array): string;
  response(apiKey: number, errorCode: number): void;
  rawServerToken(): void;
  state(): string;
  plain(token: Uint8Array): string;
  scram(token: Uint8Array): string;
}

const require = createRequire(import.meta.url);
const Request = require("kafkajs/src/protocol/request");
const handshake = (v: number) => require(`kafkajs/src/protocol/requests/saslHandshake/v${v}/request`);
const authenticate = (v: number) => require(`kafkajs/src/protocol/requests/saslAuthenticate/v${v}/request`);
const apiVersions = require("kafkajs/src/protocol/requests/apiVersions/v2/request");
const providers: Record<string, any> = {
  PLAIN: require("kafkajs/src/broker/saslAuthenticator/plain"),
  "SCRAM-SHA-256": require("kafkajs/src/broker/saslAuthenticator/scram256"),
  "SCRAM-SHA-512": require("kafkajs/src/broker/saslAuthenticator/scram512"),
};

let m: SaslFixture;
beforeAll(async () => {
  await freshModule({ entry: "test/fixtures/kafka_sasl.ts", out: "build/fixtures/kafka_sasl.wasm", bindings: true });
  m = (await loadPureModule<SaslFixture>("kafka_sasl")).exports;
}, 120_000);

const SaslHandshake = 17;
const SaslAuthenticate = 36;
const SASL_AUTHENTICATION_FAILED = 58;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function frameOf(request: unknown): Promise<Uint8Array> {
  return new Uint8Array((await Request({ correlationId: 7, clientId: "kafkajs", request })).buffer);
}

/**
 * The tokens a kafkajs authenticator sends, each as kafkajs writes it: a
 * 4-byte size and the token (the bare v0 frame, and the BYTES of a
 * SaslAuthenticate v0/v1 body). A SCRAM exchange is answered with a server
 * nonce, salt and iteration count so kafkajs goes on to its final message.
 */
async function kafkajsTokens(mechanism: string, username: string, password = "secret"): Promise<Buffer[]> {
  const tokens: Buffer[] = [];
  const saslAuthenticate = async ({ request }: { request: { encode(): Promise<Buffer> } }) => {
    const bytes = await request.encode();
    tokens.push(Buffer.from(bytes));
    const text = bytes.subarray(4).toString();
    const nonce = /,r=([^,]+)/.exec(text)?.[1];
    if (tokens.length === 1 && nonce) return { r: `${nonce}server`, s: Buffer.from("salty").toString("base64"), i: "4096" };
    return { v: "not-checked" };
  };
  await providers[mechanism]({ mechanism, username, password })({ host: "broker", port: 9092, logger: quiet, saslAuthenticate }).authenticate().catch(() => {});
  return tokens;
}

const state = () => Object.fromEntries(m.state().split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const token = (s: string) => new Uint8Array(Buffer.from(s, "binary"));

describe("SASL user names", () => {
  it("reads PLAIN's authentication identity", async () => {
    const [t] = await kafkajsTokens("PLAIN", "alice");
    expect(m.plain(t.subarray(4))).toBe("alice");
    expect(m.plain(token("admin\0bob\0pw"))).toBe("bob"); // Kafka rejects an authzid that differs; the identity is authcid
    expect(m.plain(new Uint8Array(Buffer.from("\0björn\0pw")))).toBe("björn"); // UTF-8, as kafkajs and Java encode it
    // bytes that are no UTF-8 read as U+FFFD, as the broker's Java decoder reads them
    expect(m.plain(token("\0b\xf6b\0pw"))).toBe(Buffer.from("b\xf6b", "binary").toString("utf8"));
    for (const bad of ["alice", "\0alice", "\0\0pw", "a\0b\0c\0d"]) expect(m.plain(token(bad)), JSON.stringify(bad)).toBe("<null>");
  });

  it("reads and unescapes SCRAM's user name", async () => {
    for (const mech of ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
      const [first] = await kafkajsTokens(mech, "ali,ce=x");
      expect(first.subarray(4).toString()).toMatch(/^n,,n=ali=2Cce=3Dx,r=/); // kafkajs escapes as RFC 5802 says
      expect(m.scram(first.subarray(4)), mech).toBe("ali,ce=x");
    }
    // RFC 5802 section 5 and RFC 7677 section 3 examples
    expect(m.scram(token("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"))).toBe("user");
    expect(m.scram(token("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))).toBe("user");
    expect(m.scram(token("n,a=admin,n=bob,r=abc"))).toBe("bob");
    expect(m.scram(token("y,,n=bob,r=abc,tokenauth=true"))).toBe("bob"); // KIP-368 extension after the nonce
    for (const bad of ["n,,n=us=er,r=x", "n,,n=user", "n,,r=x,n=user", "x,,n=user,r=x", "n,,n=,r=x", "n,,n=a=2,r=x", ""]) {
      expect(m.scram(token(bad)), JSON.stringify(bad)).toBe("<null>");
    }
  });
});

describe("SASL sessions", () => {
  it("handshake v1 + SaslAuthenticate (PLAIN): the user counts once the broker accepted it", async () => {
    m.reset();
    expect(m.clientFrame(await frameOf(handshake(1)({ mechanism: "PLAIN" })))).toBe("request 17 v1");
    m.response(SaslHandshake, 0);
    const [t] = await kafkajsTokens("PLAIN", "alice");
    expect(m.clientFrame(await frameOf(authenticate(1)({ authBytes: t })))).toBe("request 36 v1");
    expect(state()).toMatchObject({ user: "", claimed: "alice", mechanism: "PLAIN", rawClient: "0" });
    m.response(SaslAuthenticate, 0);
    expect(state()).toMatchObject({ user: "alice", claimed: "" });
  });

  it("a refused password never yields the user", async () => {
    m.reset();
    m.clientFrame(await frameOf(handshake(1)({ mechanism: "PLAIN" })));
    m.response(SaslHandshake, 0);
    const [t] = await kafkajsTokens("PLAIN", "admin", "guess");
    m.clientFrame(await frameOf(authenticate(0)({ authBytes: t })));
    m.response(SaslAuthenticate, SASL_AUTHENTICATION_FAILED);
    expect(state()).toMatchObject({ user: "", claimed: "" });
  });

  it("SCRAM over SaslAuthenticate: the user counts after the second (final) exchange", async () => {
    for (const mech of ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
      m.reset();
      m.clientFrame(await frameOf(handshake(1)({ mechanism: mech })));
      m.response(SaslHandshake, 0);
      const tokens = await kafkajsTokens(mech, "svc-orders");
      expect(tokens).toHaveLength(2);
      expect(tokens[1].subarray(4).toString()).toMatch(/^c=biws,r=.*server,p=/);
      m.clientFrame(await frameOf(authenticate(1)({ authBytes: tokens[0] })));
      m.response(SaslAuthenticate, 0);
      expect(state(), mech).toMatchObject({ user: "", claimed: "svc-orders" });
      m.clientFrame(await frameOf(authenticate(1)({ authBytes: tokens[1] })));
      m.response(SaslAuthenticate, 0);
      expect(state(), mech).toMatchObject({ user: "svc-orders" });
    }
  });

  it("SaslAuthenticate v2 (flexible): compact bytes and tagged fields", async () => {
    m.reset();
    m.clientFrame(await frameOf(handshake(1)({ mechanism: "PLAIN" })));
    m.response(SaslHandshake, 0);
    // Built from the protocol description: header v2 (api key, version,
    // correlation id, int16-length client id, no tags), then auth_bytes as
    // COMPACT_BYTES (uvarint length + 1) and no tags.
    const tok = Buffer.from("\0carol\0pw");
    const payload = Buffer.concat([Buffer.from([0, 36, 0, 2, 0, 0, 0, 9, 0, 1, 0x78, 0]), Buffer.from([tok.length + 1]), tok, Buffer.from([0])]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, payload.length]), payload]);
    expect(m.clientFrame(new Uint8Array(frame))).toBe("request 36 v2");
    m.response(SaslAuthenticate, 0);
    expect(state()).toMatchObject({ user: "carol" });
  });

  it("after a v0 handshake reads bare tokens, then requests again", async () => {
    for (const [mech, count] of [["PLAIN", 1], ["SCRAM-SHA-256", 2]] as const) {
      m.reset();
      expect(m.clientFrame(await frameOf(handshake(0)({ mechanism: mech })))).toBe("request 17 v0");
      expect(state().rawClient).toBe("0"); // not before the broker accepted the mechanism
      m.response(SaslHandshake, 0);
      const tokens = await kafkajsTokens(mech, "dave");
      expect(tokens).toHaveLength(count);
      for (const [i, t] of tokens.entries()) {
        expect(state(), `${mech} token ${i}`).toMatchObject({ rawClient: "1", rawServer: "0" });
        expect(m.clientFrame(new Uint8Array(t))).toBe("raw"); // kafkajs's bare frame, as sendAuthRequest writes it
        expect(state()).toMatchObject({ rawClient: "0", rawServer: "1" });
        m.rawServerToken();
      }
      expect(state(), mech).toMatchObject({ user: "dave", rawClient: "0", rawServer: "0", opaque: "0" });
      expect(m.clientFrame(await frameOf(apiVersions({ clientSoftwareName: "x", clientSoftwareVersion: "1" })))).toMatch(/^request 18 v/);
    }
  });

  it("a v0 handshake with a mechanism whose tokens cannot be counted makes the stream opaque", async () => {
    m.reset();
    m.clientFrame(await frameOf(handshake(0)({ mechanism: "GSSAPI" })));
    m.response(SaslHandshake, 0);
    expect(state()).toMatchObject({ opaque: "1", rawClient: "0", user: "" });
    // a refused handshake leaves the stream as it was
    m.reset();
    m.clientFrame(await frameOf(handshake(0)({ mechanism: "PLAIN" })));
    m.response(SaslHandshake, 33); // UNSUPPORTED_SASL_MECHANISM
    expect(state()).toMatchObject({ opaque: "0", rawClient: "0" });
  });

  it("never traps on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (a, b, v0) => {
        m.plain(a);
        m.scram(a);
        m.reset();
        const frameOfBytes = (x: Uint8Array) => {
          const f = new Uint8Array(4 + x.length);
          new DataView(f.buffer).setInt32(0, x.length);
          f.set(x, 4);
          return f;
        };
        m.clientFrame(a);
        m.clientFrame(frameOfBytes(a));
        if (v0) m.response(SaslHandshake, 0);
        m.clientFrame(frameOfBytes(b));
        m.response(SaslAuthenticate, 0);
        m.rawServerToken();
        m.state();
      }),
      { numRuns: 3000 },
    );
  });
});

// Replays one recorded connection through the session, both directions in
// the order they were read: frames are cut by their 4-byte size; a response
// is matched to its request by correlation id, and the error code of
// SaslHandshake / SaslAuthenticate responses read after the response header
// (v1, with a tagged-field byte, for flexible SaslAuthenticate v2).
function replaySasl(connection: SaslRecording["runs"][number]["connections"][number]): { sasl: boolean } {
  m.reset();
  const pending = new Map<number, { api: number; version: number }>();
  const bufs = { request: Buffer.alloc(0), response: Buffer.alloc(0) };
  let sasl = false;
  for (const chunk of chunksOf(connection)) {
    bufs[chunk.direction] = Buffer.concat([bufs[chunk.direction], chunk.bytes]);
    let buf = bufs[chunk.direction];
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const frame = buf.subarray(0, 4 + buf.readInt32BE(0));
      buf = buf.subarray(frame.length);
      if (chunk.direction === "request") {
        const api = frame.readInt16BE(4);
        const version = frame.readInt16BE(6);
        if (api === SaslHandshake) sasl = true;
        pending.set(frame.readInt32BE(8), { api, version });
        expect(m.clientFrame(new Uint8Array(frame))).toBe(`request ${api} v${version}`);
      } else {
        const req = pending.get(frame.readInt32BE(4));
        if (req?.api !== SaslHandshake && req?.api !== SaslAuthenticate) continue;
        const flexible = req.api === SaslAuthenticate && req.version >= 2;
        m.response(req.api, frame.readInt16BE(flexible ? 9 : 8));
      }
    }
    bufs[chunk.direction] = buf;
  }
  return { sasl };
}

describe("SASL sessions recorded from kafkajs, kcat and the Java client with Kafka", () => {
  const recording = loadRecording<SaslRecording>("kafka", "sasl");

  it("covers every SaslAuthenticate version and both outcomes", () => {
    const versions = new Set<string>();
    for (const run of recording.runs) for (const c of run.connections) for (const ch of chunksOf(c)) {
      if (ch.direction === "request" && ch.bytes.length >= 8 && ch.bytes.readInt16BE(4) === SaslAuthenticate) versions.add(`v${ch.bytes.readInt16BE(6)}`);
    }
    expect([...versions].sort()).toEqual(["v0", "v1", "v2"]);
    expect(recording.runs.some((r) => r.authenticated) && recording.runs.some((r) => !r.authenticated)).toBe(true);
  });

  for (const run of recording.runs) {
    const what = `${run.client} ${run.mechanism} as ${run.user}: ${run.authenticated ? "accepted" : "refused"}`;
    it(what, () => {
      let saslConnections = 0;
      for (const connection of run.connections) {
        if (!replaySasl(connection).sasl) continue;
        saslConnections++;
        // the user counts exactly when the broker accepted the client
        expect(state(), what).toMatchObject({ user: run.authenticated ? run.user : "", claimed: "", mechanism: run.mechanism, opaque: "0" });
      }
      expect(saslConnections).toBeGreaterThan(0);
    });
  }
});
