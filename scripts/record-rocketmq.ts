// Records the bytes the real Java RocketMQ remoting client (DefaultMQProducer
// and DefaultLitePullConsumer, integration/java/RemotingRoundTrip.java) and a
// real RocketMQ 5.x stack exchange, for the rocketmq filter's unit tests
// (test/recordings/rocketmq/*.json).
//
//   npx tsx scripts/record-rocketmq.ts          # broker and proxy recordings
//
// A remoting client opens one connection to its name server and then one to
// each broker address the route answers name, so a recorder in front of the
// name server alone would see route lookups only. Each recording proxy here
// therefore also rewrites broker addresses in what it hands the client (every
// quoted "host:port" of a server becomes the address of a recording proxy in
// front of that server); what it records is what the servers really sent.
//   broker  client -> R(name server) ; client -> R(broker port)      (route from the name server)
//   proxy   client -> R(proxy remoting), for routes, sends and pulls (route from the cluster-mode proxy)
// Each file holds the connections in order with their reads per direction as
// they arrived, and the ground truth the tests check the metrics against.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stopAll } from "../integration/stack/index.ts";
import { startRocketMQ } from "../integration/stack/rocketmq.ts";
import { remotingRoundTrip } from "../integration/stack/rocketmq-java.ts";
import { RecordingProxy, type RecordedChunk, type ToClient } from "./recording-proxy.ts";

export interface Recording {
  client: string;
  recordedWith: { rocketmq: string; mode: string; server: string };
  truth: {
    topic: string;
    producerGroup: string;
    consumerGroup: string;
    sentMessages: number;
    receivedMessages: number;
  };
  connections: RecordedChunk[][];
}

const outDir = fileURLToPath(new URL("../test/recordings/rocketmq/", import.meta.url));

// Replaces every `"from"` with `"to"` inside one frame (length prefix included).
function rewriteFrame(frame: Buffer, rewrites: [string, string][]): Buffer {
  let body = frame.subarray(4);
  let changed = false;
  for (const [from, to] of rewrites) {
    const f = Buffer.from(JSON.stringify(from));
    const t = Buffer.from(JSON.stringify(to));
    for (let at = body.indexOf(f); at >= 0; at = body.indexOf(f, at + t.length)) {
      body = Buffer.concat([body.subarray(0, at), t, body.subarray(at + f.length)]);
      changed = true;
    }
  }
  if (!changed) return frame;
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

// Toward the client, whole frames with server addresses rewritten.
export function rewritingFrames(rewrites: () => [string, string][]): ToClient {
  return () => {
    let pending = Buffer.alloc(0);
    return (d) => {
      pending = Buffer.concat([pending, d]);
      const frames: Buffer[] = [];
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = 4 + pending.readInt32BE(0);
        frames.push(rewriteFrame(pending.subarray(0, size), rewrites()));
        pending = pending.subarray(size);
      }
      return Buffer.concat(frames);
    };
  };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const count = Number(process.env.RECORD_COUNT ?? 30);
  const rmq = await startRocketMQ({ name: "rocketmq-recorder", mode: "cluster" });
  const port = (addr: string) => Number(addr.slice(addr.lastIndexOf(":") + 1));
  const proxies: RecordingProxy[] = [];
  try {
    // broker: name server and broker port, each behind a recorder.
    const broker = new RecordingProxy(rmq.ports.broker);
    const namesrv = new RecordingProxy(rmq.ports.namesrv, rewritingFrames(() => [[rmq.brokerAddr, broker.address]]));
    // proxy: the proxy's remoting port answers routes with its own address.
    const proxy: RecordingProxy = new RecordingProxy(port(rmq.proxyRemoting), rewritingFrames(() => [[rmq.proxyRemoting, proxy.address]]));
    proxies.push(broker, namesrv, proxy);
    for (const p of proxies) await p.listen();

    const runs: [string, string, RecordingProxy[]][] = [
      ["broker", namesrv.address, [namesrv, broker]],
      ["proxy", proxy.address, [proxy]],
    ];
    for (const [name, nameServer, recorders] of runs) {
      const topic = `recorded-${name}`;
      await rmq.createTopic(topic, 4);
      const group = `${topic}-group`;
      const events = await remotingRoundTrip(nameServer, topic, count, group);
      const done = events.find((e) => e.event === "done");
      const sent = events.filter((e) => e.event === "sent");
      const received = events.filter((e) => e.event === "received");
      const direct = new Set([...sent, ...received].map((e) => e.brokerAddr));
      if (!done || sent.length !== count || [...direct].some((a) => !recorders.some((r) => r.address === a))) {
        throw new Error(`${name}: the client did not send ${count} messages only through the recorders: ${JSON.stringify(done)} via ${[...direct]}`);
      }
      await new Promise((r) => setTimeout(r, 500));
      const recording: Recording = {
        client: "java-remoting",
        recordedWith: { rocketmq: rmq.version, mode: rmq.mode, server: name },
        truth: { topic, producerGroup: `${group}-producer`, consumerGroup: group, sentMessages: sent.length, receivedMessages: received.length },
        connections: recorders.flatMap((r) => r.take()),
      };
      const file = `${outDir}${name}.json`;
      writeFileSync(file, JSON.stringify(recording, null, 1) + "\n");
      console.log(`recorded ${name}: ${recording.connections.length} connections, sent ${sent.length}, received ${received.length} -> ${file}`);
    }
  } finally {
    for (const p of proxies) await p.close();
    await rmq.stop();
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
