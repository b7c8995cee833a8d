// Our small Java RocketMQ programs (integration/java/*.java), compiled with
// javac against the cached RocketMQ jars into the cache (once per source
// version), and run as one-shot commands.
import { readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { provisioned, runPath, shortHash } from "./cache.ts";
import { REPO_ROOT } from "./envoy.ts";
import { javaBin } from "./maven.ts";
import { runCommand } from "./process.ts";
import { ROCKETMQ_VERSION, rocketmqClasspath } from "./rocketmq.ts";

const JAVA_DIR = join(REPO_ROOT, "integration", "java");

/** Compiles integration/java into <cache>/java/rocketmq-<hash>/classes and returns that folder. */
export async function rocketmqJavaClasses(): Promise<string> {
  const cp = await rocketmqClasspath();
  const sources = readdirSync(JAVA_DIR)
    .filter((f) => f.endsWith(".java"))
    .sort()
    .map((f) => join(JAVA_DIR, f));
  const hash = shortHash(ROCKETMQ_VERSION + sources.map((f) => readFileSync(f, "utf8")).join("\0"));
  const dir = await provisioned(join("java", `rocketmq-${hash}`), async (tmp) => {
    await runCommand("javac", ["-nowarn", "-encoding", "UTF-8", "-d", join(tmp, "classes"), "-cp", cp.classpath, ...sources], {
      name: "javac-rocketmq",
      timeoutMs: 180_000,
    });
  });
  return join(dir, "classes");
}

export interface RoundTripEvent {
  event: "sent" | "received" | "done";
  key?: string;
  tag?: string;
  body?: string;
  msgId?: string;
  queueId?: number;
  /** The address the client resolved from its route info: for "sent" where it sent, for "received" where it pulls that broker's queues from. */
  brokerAddr?: string;
  /** The message's traceparent property, null when it has none. */
  traceparent?: string | null;
  sent?: number;
  received?: number;
}

/**
 * RemotingRoundTrip: sends `count` messages (body "<topic>-body-<i>", key "k-<i>",
 * tag "tag-<i%3>") with DefaultMQProducer and reads them back with
 * DefaultLitePullConsumer, both using `namesrv` as name server address.
 */
export async function remotingRoundTrip(namesrv: string, topic: string, count: number, group: string, timeoutMs = 90_000): Promise<RoundTripEvent[]> {
  const [cp, classes] = [await rocketmqClasspath(), await rocketmqJavaClasses()];
  const home = runPath("rocketmq-client");
  const r = await runCommand(
    javaBin(),
    [
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Djava.net.preferIPv4Stack=true",
      `-Duser.home=${home}`, // the client's own logs: <home>/logs/rocketmqlogs
      "-cp",
      [classes, cp.classpath].join(delimiter),
      "RemotingRoundTrip",
      namesrv,
      topic,
      String(count),
      group,
      String(timeoutMs),
    ],
    { name: `remoting-roundtrip-${topic}`, timeoutMs: timeoutMs + 60_000 },
  );
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as RoundTripEvent);
}

export type SendEvent =
  | { event: "sent"; status: string; msgId: string; queueId: number; brokerAddr: string | null }
  | { event: "error"; exception: string; responseCode: number; message: string; cause: string | null; causeResponseCode: number; causeMessage: string | null }
  | { event: "done"; sent: number; failed: number };

/**
 * RemotingSend: `count` sends with DefaultMQProducer (group `group`) through
 * `namesrv`, each reported as sent or with the exception the client threw.
 */
export async function remotingSend(namesrv: string, topic: string, count: number, group: string, timeoutMs = 120_000, threads = 1): Promise<SendEvent[]> {
  const [cp, classes] = [await rocketmqClasspath(), await rocketmqJavaClasses()];
  const home = runPath("rocketmq-client");
  const r = await runCommand(
    javaBin(),
    ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true", `-Duser.home=${home}`, "-cp", [classes, cp.classpath].join(delimiter), "RemotingSend", namesrv, topic, String(count), group, String(threads)],
    { name: `remoting-send-${topic}`, timeoutMs },
  );
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as SendEvent);
}
