// The gRPC load generator of `npm run bench:rocketmq` (bench/rocketmq.ts):
// rocketmq-client-nodejs's Producer (RocketMQ 5 gRPC client) in the bench's
// own process, `threads` send loops each awaiting one send at a time, so a
// batch is as many synchronous sends as the remoting sender's threads make.
// It answers in the remoting sender's shape, so both kinds share the rounds.
import { Producer } from "rocketmq-client-nodejs";
import { fileLogger } from "../integration/stack/client-logger.ts";
import { median } from "./support.ts";

export interface SendBatch {
  count: number;
  failed: number;
  seconds: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  firstError: string | null;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;
}

export class GrpcSender {
  /** Messages sent so far, warm-up included. */
  total = 0;
  private constructor(private producer: Producer, readonly topic: string, private body: Buffer, private threads: number) {}

  /** A started Producer on `endpoints` ("host:port" of the gRPC listener under test). */
  static async start(name: string, endpoints: string, topic: string, messageSize: number, threads: number): Promise<GrpcSender> {
    const producer = new Producer({ endpoints, namespace: "", topics: [topic], logger: fileLogger(name), maxAttempts: 1 });
    await producer.startup();
    return new GrpcSender(producer, topic, Buffer.alloc(messageSize, 0x61), threads);
  }

  /** Up to n sends, for at most `seconds`; fails when a send failed (not retried) or none completed. */
  async send(n: number, seconds = Infinity): Promise<SendBatch> {
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const latencies: number[] = [];
    let issued = 0, failed = 0, lastDone = started;
    let firstError: string | null = null;
    const loop = async () => {
      while (issued < n && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        try {
          await this.producer.send({ topic: this.topic, tag: "bench", body: this.body });
          lastDone = performance.now();
          latencies.push(lastDone - t0);
        } catch (e) {
          failed++;
          firstError ??= (e as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: this.threads }, loop));
    if (failed > 0) throw new Error(`gRPC sender: ${failed} of ${issued} sends failed, first: ${firstError}`);
    if (latencies.length === 0) throw new Error(`gRPC sender: no send completed in ${seconds} s`);
    const secs = (lastDone - started) / 1000;
    latencies.sort((a, b) => a - b);
    this.total += latencies.length;
    return { count: latencies.length, failed, seconds: secs, msgsPerSec: latencies.length / secs, p50Ms: median(latencies), p99Ms: percentile(latencies, 99), firstError };
  }

  stop(): Promise<void> {
    return this.producer.shutdown();
  }
}
