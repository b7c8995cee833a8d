// A TCP proxy that records what a client and a server exchange, for the
// network filters' unit tests (test/recordings/<filter>/*.json, replayed by
// test/support/recordings.ts): per connection, the reads of each direction as
// they arrived.
import { once } from "node:events";
import net from "node:net";
import { freePort, LOOPBACK } from "../integration/stack/index.ts";

export interface RecordedChunk {
  // "request": client to server; "response": server to client (a server may
  // also send requests to the client on the same connection, and the client
  // answers them: the direction is the socket's, not the command's)
  direction: "request" | "response";
  base64: string;
}

/** Per connection: what the proxy hands the client for each read from the server (what it records is what the server really sent). */
export type ToClient = () => (fromServer: Buffer) => Buffer;

export class RecordingProxy {
  connections: RecordedChunk[][] = [];
  port = 0;
  private server: net.Server;
  private sockets = new Set<net.Socket>();

  /** `upstream`: the server's port on loopback, or how to learn it when a connection comes. */
  constructor(
    private upstream: number | (() => number),
    private toClient: ToClient = () => (d) => d,
  ) {
    this.server = net.createServer((client) => this.relay(client));
  }

  get address(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  /** Listens on `port`, or on a free one. */
  async listen(port?: number): Promise<void> {
    this.port = port ?? (await freePort());
    this.server.listen(this.port, LOOPBACK);
    await once(this.server, "listening");
  }

  /** The connections recorded so far that carried anything; the proxy starts afresh. */
  take(): RecordedChunk[][] {
    const taken = this.connections.filter((c) => c.length > 0);
    this.connections = [];
    return taken;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    const chunks: RecordedChunk[] = [];
    this.connections.push(chunks);
    const server = net.connect(typeof this.upstream === "number" ? this.upstream : this.upstream(), LOOPBACK);
    for (const s of [client, server]) this.sockets.add(s);
    const toClient = this.toClient();
    client.on("data", (d) => {
      chunks.push({ direction: "request", base64: d.toString("base64") });
      server.write(d);
    });
    server.on("data", (d) => {
      chunks.push({ direction: "response", base64: d.toString("base64") });
      const out = toClient(d);
      if (out.length > 0) client.write(out);
    });
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  }
}
