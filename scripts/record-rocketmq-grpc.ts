// Records what rocketmq-client-nodejs (gRPC) and a real RocketMQ 5 proxy
// exchange, for the rocketmq-grpc filter's unit tests
// (test/recordings/rocketmq-grpc/*.json).
//
//   npx tsx scripts/record-rocketmq-grpc.ts        # RECORD_COUNT messages, default 20
//
// Raw HTTP/2 bytes (HPACK state, flow control) would be useless to the host
// emulator, which gets headers and body chunks as Envoy hands them to a
// filter. So the recorder is a small HTTP/2 (h2c) proxy built on node:http2
// between the client and the proxy's gRPC port: per gRPC call it keeps the
// request headers, the request body chunks as they arrived, the response
// headers, body chunks and trailers. The proxy runs in cluster mode with
// useEndpointPortFromRequest, so route answers name the recorder and every
// call (send, receive, ack) goes through it.
import { mkdirSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { freePort, LOOPBACK, stopAll } from "../integration/stack/index.ts";
import { startRocketMQ } from "../integration/stack/rocketmq.ts";
import { fileLogger } from "../integration/stack/client-logger.ts";

export type Pairs = [string, string][];

export interface RecordedCall {
  path: string;
  requestHeaders: Pairs;
  /** Request body chunks (base64) as the recorder read them. */
  request: string[];
  responseHeaders: Pairs;
  response: string[];
  trailers: Pairs;
}

export interface GrpcRecording {
  client: string;
  recordedWith: { rocketmq: string; mode: string };
  truth: { topic: string; group: string; sentMessages: number; sentBytes: number; receivedMessages: number; ackedMessages: number };
  calls: RecordedCall[];
}

const outDir = fileURLToPath(new URL("../test/recordings/rocketmq-grpc/", import.meta.url));

function pairs(h: http2.IncomingHttpHeaders): Pairs {
  const out: Pairs = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, String(one)]);
  }
  return out;
}

const HOP = new Set([":scheme", ":authority", ":method", ":path", ":status", "connection", "keep-alive", "transfer-encoding"]);

export class RecordingH2Proxy {
  calls: RecordedCall[] = [];
  private server = http2.createServer();
  private upstream: http2.ClientHttp2Session;
  address = "";

  constructor(upstreamAddr: string) {
    this.upstream = http2.connect(`http://${upstreamAddr}`);
    this.upstream.on("error", () => {});
    this.server.on("stream", (stream, headers) => this.relay(stream, headers));
  }

  async listen(): Promise<void> {
    const port = await freePort();
    await new Promise<void>((resolve) => this.server.listen(port, LOOPBACK, () => resolve()));
    this.address = `${LOOPBACK}:${port}`;
  }

  take(): RecordedCall[] {
    const t = this.calls;
    this.calls = [];
    return t;
  }

  async close(): Promise<void> {
    this.upstream.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const call: RecordedCall = { path: String(headers[":path"]), requestHeaders: pairs(headers), request: [], responseHeaders: [], response: [], trailers: [] };
    this.calls.push(call);
    const out: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": headers[":path"] };
    for (const [k, v] of Object.entries(headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
    const up = this.upstream.request(out);
    stream.on("data", (d: Buffer) => {
      call.request.push(d.toString("base64"));
      up.write(d);
    });
    stream.on("end", () => up.end());
    stream.on("close", () => up.close());
    stream.on("error", (e) => {
      console.error(`recorder: ${call.path}: downstream ${e.message}`);
      up.close();
    });
    let trailers: http2.OutgoingHttpHeaders = {};
    up.on("response", (h) => {
      call.responseHeaders = pairs(h);
      const resp: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (!HOP.has(k) && v !== undefined) resp[k] = v;
      resp[":status"] = h[":status"];
      if (stream.closed || stream.destroyed) return;
      // Trailers-only (an error with grpc-status in the headers): so it stays.
      if (h["grpc-status"] !== undefined) return stream.respond(resp, { endStream: true });
      stream.respond(resp, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers(trailers));
    });
    up.on("data", (d: Buffer) => {
      call.response.push(d.toString("base64"));
      if (!stream.destroyed) stream.write(d);
    });
    up.on("trailers", (t) => {
      call.trailers = pairs(t);
      for (const [k, v] of Object.entries(t)) if (!HOP.has(k) && v !== undefined && v !== null) trailers[k] = v as http2.OutgoingHttpHeaders[string];
    });
    up.on("end", () => {
      if (process.env.RECORD_DEBUG) console.error(`recorder: ${call.path} upstream end; response headers ${call.responseHeaders.length}, trailers ${call.trailers.length}`);
      if (!stream.destroyed) stream.end();
    });
    up.on("error", (e) => {
      console.error(`recorder: ${call.path}: upstream ${e.message}`);
      stream.destroy();
    });
  }
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  // The client leaves no error handler on its Telemetry stream; a stream cut
  // at shutdown must not end the recording.
  process.on("uncaughtException", (e) => console.error(`recorder: uncaught ${e.message}`));
  const count = Number(process.env.RECORD_COUNT ?? 20);
  const rmq = await startRocketMQ({ name: "rocketmq-grpc-recorder", mode: "cluster" });
  const recorder = new RecordingH2Proxy(rmq.proxyGrpc);
  try {
    await recorder.listen();
    const topic = "recorded-grpc";
    const group = `${topic}-group`;
    await rmq.createTopic(topic, 4);
    let sentBytes = 0;
    const producer = new Producer({ endpoints: recorder.address, namespace: "", topics: [topic], logger: fileLogger("record-grpc-producer") });
    await producer.startup();
    try {
      for (let i = 0; i < count; i++) {
        const body = Buffer.from(`${topic} body ${i} ✓`);
        sentBytes += body.length;
        await producer.send({ topic, tag: `tag-${i % 3}`, keys: [`k-${i}`], body });
      }
    } finally {
      await producer.shutdown();
    }
    const consumer = new SimpleConsumer({
      endpoints: recorder.address, namespace: "", consumerGroup: group, subscriptions: new Map([[topic, "*"]]),
      awaitDuration: 3000, logger: fileLogger("record-grpc-consumer"),
    });
    await consumer.startup();
    let received = 0;
    let acked = 0;
    try {
      const deadline = Date.now() + 60_000;
      while (received < count && Date.now() < deadline) {
        let batch: Awaited<ReturnType<SimpleConsumer["receive"]>> = [];
        try {
          batch = await consumer.receive(8, 30_000);
        } catch (e) {
          // e.g. the proxy's "deadline time remaining is not enough" on a slow
          // machine: the call is recorded all the same; try again.
          console.error(`recorder: receive failed: ${(e as Error).message}`);
        }
        for (const m of batch) {
          received++;
          await consumer.ack(m);
          acked++;
        }
      }
    } finally {
      await consumer.shutdown();
    }
    if (received !== count) throw new Error(`received ${received} of ${count}`);
    await new Promise((r) => setTimeout(r, 500));
    const calls = recorder.take();
    const recording: GrpcRecording = {
      client: "rocketmq-client-nodejs",
      recordedWith: { rocketmq: rmq.version, mode: rmq.mode },
      truth: { topic, group, sentMessages: count, sentBytes, receivedMessages: received, ackedMessages: acked },
      calls,
    };
    const file = join(outDir, "nodejs.json");
    writeFileSync(file, JSON.stringify(recording, null, 1) + "\n");
    const byPath = new Map<string, number>();
    for (const c of calls) byPath.set(c.path, (byPath.get(c.path) ?? 0) + 1);
    console.log(`recorded ${calls.length} calls -> ${file}\n${[...byPath].map(([p, n]) => `  ${p} ${n}`).join("\n")}`);
  } finally {
    await recorder.close();
    await rmq.stop();
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
