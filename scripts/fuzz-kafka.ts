// Pushes random and mutated Kafka request frames of every API and version
// through build/kafka.wasm (host emulator) with an ACL configured, and
// checks that none traps and that each frame either passes byte for byte,
// is refused (the broker gets the ApiVersions stand-in), is cut down
// (re-encoded with entries removed) or closes the connection. Not a timed
// test: a script, run on demand.
//
//   npm run fuzz:kafka                 # 1,000,000 frames
//   npm run fuzz:kafka -- --frames 20000 --seed 7
import { Command } from "commander";
import fc from "fast-check";
import { freshModule } from "./compile.ts";
import { ProxyHost } from "../test/host/index.ts";
import { SCHEMAS, isFlexible, randomStruct, requestFrame, responseFrame, fill, rngFrom, versionsOf } from "../test/kafka/wire.ts";

const options = new Command()
  .option("--frames <n>", "frames to send", "1000000")
  .option("--seed <n>", "fast-check seed", String(Date.now() % 100000))
  .parse()
  .opts<{ frames: string; seed: string }>();

const ACL = {
  acl: {
    rules: [
      { action: "allow", principals: ["client:ok-*"], topics: ["*"], operations: ["Read", "Describe"] },
      { action: "deny", topics: ["secret-*", "*a*"], operations: ["*"] },
      { action: "deny", groups: ["g*"], transactionalIds: ["*"], operations: ["Read", "Write", "Delete"] },
      { action: "deny", cluster: true, operations: ["Alter", "ClusterAction"] },
    ],
    denyApis: ["DeleteTopics"],
  },
};

// Seeds: a few requests of every API and version, built by the independent encoder.
function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const api of Object.keys(SCHEMAS)) {
    const m = SCHEMAS[api][api + "Request"];
    for (const v of versionsOf(api, "Request")) {
      for (let i = 0; i < 4; i++) {
        const rng = rngFrom(m.apiKey * 7919 + v * 31 + i);
        out.push(requestFrame(api, v, randomStruct(m.fields, v, isFlexible(m, v), rng), 1, i % 2 === 0 ? "ok-client" : "other"));
      }
    }
  }
  return out;
}

const seedFrames = seeds();
const withSize = (body: Uint8Array) => {
  const out = new Uint8Array(body.length + 4);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
};
// A seed with a few bytes changed, some cut off, or random bytes after a
// valid header; the size prefix fixed to match so the frame is whole.
const mutated = fc
  .tuple(fc.nat(seedFrames.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), fc.nat(), fc.boolean())
  .map(([which, edits, cut, truncate]) => {
    const body = seedFrames[which].slice(4);
    for (const [at, value] of edits) body[at % body.length] = value;
    return withSize(truncate ? body.subarray(0, Math.max(8, cut % (body.length + 1))) : body);
  });
const random = fc.uint8Array({ minLength: 8, maxLength: 300 }).map(withSize);
const frames = fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: random, weight: 1 });

const wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(ACL) });
const apiVersionsAnswer = (correlationId: number) =>
  responseFrame("ApiVersions", 0, fill(SCHEMAS.ApiVersions.ApiVersionsResponse.fields, 0, { ErrorCode: 0, ApiKeys: [] }), correlationId);
const counts = { passed: 0, refused: 0, cut: 0, closed: 0 };
const total = Number(options.frames);

fc.assert(
  fc.property(frames, (frame) => {
    const conn = host.newConnection();
    conn.callOnDownstreamData(frame);
    if (host.failed) throw new Error(`trap: ${host.failed.message} on ${Buffer.from(frame).toString("hex")}`);
    const up = Buffer.from(conn.forwardedUpstream);
    if (conn.closed) counts.closed++;
    else if (up.equals(frame)) counts.passed++;
    else if (up.length >= 12 && up.readInt16BE(4) === 18 && up.readInt32BE(8) === Buffer.from(frame).readInt32BE(8)) {
      counts.refused++;
      conn.callOnUpstreamData(apiVersionsAnswer(up.readInt32BE(8)));
    } else if (up.length >= 8 && up.readInt16BE(4) === Buffer.from(frame).readInt16BE(4)) counts.cut++;
    else throw new Error(`neither passed, refused, cut nor closed: ${Buffer.from(frame).toString("hex")} -> ${up.toString("hex")}`);
    const trap = host.failed as { message: string } | undefined; // (the answer may trap too)
    if (trap) throw new Error(`trap on the answer: ${trap.message}`);
    if (!conn.closed) conn.closeDownstream();
  }),
  { numRuns: total, seed: Number(options.seed), endOnFailure: true },
);
const sum = counts.passed + counts.refused + counts.cut + counts.closed;
console.log(`${sum} frames (seed ${options.seed}, ${seedFrames.length} seeds of every API and version): 0 traps;`,
  `${counts.passed} passed byte for byte, ${counts.refused} refused, ${counts.cut} cut, ${counts.closed} closed`);
if (sum !== total) process.exit(1);
