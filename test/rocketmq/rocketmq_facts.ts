// What RocketMQ's published jars say about authorization, read as data by
// integration/java/AuthorizationFacts.java (the RocketMQ 5.3 jars from Maven
// Central, as the integration stack uses them): every RequestCode constant,
// the request header classes RocketMQ's registry maps codes to with their
// @RocketMQAction/@RocketMQResource annotations, the MessagingService methods
// of rocketmq-proto, and, as an oracle, RocketMQ's own authorization builder
// run over requests a test hands it. Results are cached in the mqmesh cache
// (keyed by the RocketMQ version, the Java source and the input), so only the
// first run starts a JVM. Failing to read them fails the test that asks.
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { provisioned, shortHash } from "../../integration/stack/cache.ts";
import { REPO_ROOT } from "../../integration/stack/envoy.ts";
import { javaBin } from "../../integration/stack/maven.ts";
import { runCommand } from "../../integration/stack/process.ts";
import { ROCKETMQ_VERSION, rocketmqClasspath } from "../../integration/stack/rocketmq.ts";
import { rocketmqJavaClasses } from "../../integration/stack/rocketmq-java.ts";

export interface HeaderFact {
  code: number;
  class: string;
  resource: string; // ResourceType of @RocketMQAction: UNKNOWN, CLUSTER, TOPIC, GROUP
  actions: string[]; // Action names: PUB, SUB, CREATE, UPDATE, DELETE, GET, LIST
  fields: { name: string; type: string; splitter: string; required: boolean }[];
  requiredFields: { name: string; type: string }[];
}

export interface GrpcMethodFact {
  name: string;
  request: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
  resources: { path: string; numbers: number[]; repeated: boolean }[];
}

export interface Facts {
  rocketmq: string;
  protoJar: string;
  requestCodes: { name: string; code: number }[];
  headers: HeaderFact[];
  grpc: GrpcMethodFact[];
}

export type OracleAnswer = { contexts: string[] } | { error: string };

const SOURCE = join(REPO_ROOT, "integration", "java", "AuthorizationFacts.java");

async function runFacts(args: string[]): Promise<string> {
  const [cp, classes] = [await rocketmqClasspath(), await rocketmqJavaClasses()];
  const r = await runCommand(
    javaBin(),
    ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", [classes, cp.classpath].join(delimiter), "AuthorizationFacts", ...args],
    { name: "rocketmq-authorization-facts", timeoutMs: 180_000 },
  );
  return r.stdout;
}

function key(...parts: string[]): string {
  return shortHash([ROCKETMQ_VERSION, readFileSync(SOURCE, "utf8"), ...parts].join("\0"));
}

/** The facts of the RocketMQ jars (cached). */
export async function rocketmqFacts(): Promise<Facts> {
  const dir = await provisioned(join("facts", `rocketmq-${ROCKETMQ_VERSION}-${key()}`), async (tmp) => {
    const out = await runFacts([]);
    JSON.parse(out); // a run that printed no JSON is not cached
    writeFileSync(join(tmp, "facts.json"), out);
  });
  return JSON.parse(readFileSync(join(dir, "facts.json"), "utf8")) as Facts;
}

/** A remoting request for the oracle: the frame from its header-length word on. */
export const remotingLine = (frame: Uint8Array) => `r ${Buffer.from(frame).toString("base64")}`;
/** A gRPC request for the oracle: its message type ("QueryRouteRequest") and bytes. */
export const grpcLine = (type: string, message: Uint8Array) => `g ${type} ${Buffer.from(message).toString("base64")}`;

/** RocketMQ's authorization contexts for each request line (cached per input). */
export async function rocketmqOracle(lines: string[]): Promise<OracleAnswer[]> {
  const input = lines.join("\n") + "\n";
  const dir = await provisioned(join("facts", `oracle-${key(input)}`), async (tmp) => {
    const file = join(tmp, "input.txt");
    writeFileSync(file, input);
    const out = await runFacts(["oracle", file]);
    const answers = out.split("\n").filter((l) => l.length > 0);
    if (answers.length !== lines.length) throw new Error(`oracle answered ${answers.length} of ${lines.length} requests`);
    writeFileSync(join(tmp, "answers.jsonl"), out);
  });
  return readFileSync(join(dir, "answers.jsonl"), "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

