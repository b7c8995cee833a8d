// A stand-in OTLP/HTTP collector for the tracing cases of bench:kafka: it
// answers every export 200 with an empty body (an ExportTraceServiceResponse
// with no partial success) and counts them. No trace backend's CPU or disk
// in the measurement, and nothing to build.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "../integration/stack/index.ts";

export interface OtlpSink {
  /** "127.0.0.1:<port>" */
  address: string;
  exports: number;
  bytes: number;
  stop(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => void (sink.bytes += chunk.length));
    req.on("end", () => {
      sink.exports++;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const sink: OtlpSink = {
    address: `${LOOPBACK}:${(server.address() as AddressInfo).port}`,
    exports: 0,
    bytes: 0,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return sink;
}
