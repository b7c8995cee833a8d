// A TCP connection through Envoy's network Wasm filter
// (envoy.filters.network.wasm), one context id for both directions.
//
// What this reproduces from Envoy:
// - Data the filter pauses on stays in Envoy's buffer; the next data adds to
//   it and the filter sees the whole accumulated buffer again.
// - On Continue the buffer (as the filter left it) goes on to the next
//   filter (tcp_proxy): `forwardedUpstream` / `forwardedDownstream` are the
//   bytes that left, byte-exact and in order.
// - proxy_continue_stream(DOWNSTREAM) releases the held downstream bytes
//   once the VM call returns; UPSTREAM cannot be resumed (UNIMPLEMENTED).
// - proxy_close_stream closes the downstream connection after the VM call
//   (both directions close the one connection the filter sits on); held
//   bytes are dropped.
// - Envoy learns of an upstream close only from end_of_stream on the write
//   path, and runs on_done/on_log/on_delete when the downstream closes.

import { PeerType } from "./abi.ts";
import type { ProxyHost } from "./host.ts";
import { concatBytes, toBytes } from "./memory.ts";
import { propertyBytes, type PropertyValue } from "./properties.ts";

export interface ConnectionOptions {
  /** Per-connection properties, e.g. { "source.address": "10.0.0.1:4000" }. */
  properties?: Record<string, PropertyValue>;
}

export type NetworkAction = "continue" | "pause";

export interface BufferSlot {
  get(): Uint8Array;
  set?(bytes: Uint8Array): void;
}

const empty = new Uint8Array(0);

export class Connection {
  readonly kind = "connection" as const;
  /** @internal */ created = false;
  /** @internal */ readonly properties = new Map<string, Uint8Array>();
  forwardedUpstream: Uint8Array = empty;
  forwardedDownstream: Uint8Array = empty;
  /** Bytes Envoy holds for the filter because it paused (what it sees on its next callback). */
  heldDownstream: Uint8Array = empty;
  heldUpstream: Uint8Array = empty;
  downstreamPaused = false;
  upstreamPaused = false;
  newConnectionAction: NetworkAction | undefined;
  /** The stream type the filter closed with proxy_close_stream, if it did. */
  closedByFilter: "downstream" | "upstream" | undefined;
  closed = false;
  upstreamClosed = false;
  // The filter may touch a data buffer during its own callback or while that direction is paused.
  private downstreamAccessible = false;
  private upstreamAccessible = false;

  constructor(
    private readonly host: ProxyHost,
    readonly id: number,
    options: ConnectionOptions,
  ) {
    for (const [k, v] of Object.entries(options.properties ?? {})) this.properties.set(k, propertyBytes(v));
  }

  /** @internal context create + proxy_on_new_connection. */
  open(): void {
    this.host.run(() => {
      this.host.createInVm(this, this.host.root.id);
      const r = this.host.callback(this, "proxy_on_new_connection", this.id) ?? 0;
      this.newConnectionAction = r === 0 ? "continue" : "pause";
    });
  }

  /** Bytes arrive from the client. Returns what the filter answered for the buffer it saw. */
  callOnDownstreamData(data: string | Uint8Array, opts: { endOfStream?: boolean } = {}): NetworkAction {
    this.assertOpen("callOnDownstreamData");
    return this.host.run(() => {
      this.heldDownstream = concatBytes(this.heldDownstream, toBytes(data));
      this.downstreamAccessible = true;
      const r = this.host.callback(this, "proxy_on_downstream_data", this.id, this.heldDownstream.length, opts.endOfStream ? 1 : 0) ?? 0;
      this.host.drainDeferred();
      if (this.closed) return r === 0 ? "continue" : "pause";
      if (r === 0) this.releaseDownstream();
      else this.downstreamPaused = true;
      return r === 0 ? "continue" : "pause";
    });
  }

  /** Bytes arrive from the upstream (Envoy's write path). endOfStream also fires on_upstream_connection_close. */
  callOnUpstreamData(data: string | Uint8Array, opts: { endOfStream?: boolean } = {}): NetworkAction {
    this.assertOpen("callOnUpstreamData");
    return this.host.run(() => {
      this.heldUpstream = concatBytes(this.heldUpstream, toBytes(data));
      this.upstreamAccessible = true;
      const r = this.host.callback(this, "proxy_on_upstream_data", this.id, this.heldUpstream.length, opts.endOfStream ? 1 : 0) ?? 0;
      this.host.drainDeferred();
      if (!this.closed) {
        if (r === 0) {
          this.forwardedDownstream = concatBytes(this.forwardedDownstream, this.heldUpstream);
          this.heldUpstream = empty;
          this.upstreamPaused = false;
          this.upstreamAccessible = false;
        } else {
          this.upstreamPaused = true;
        }
        if (opts.endOfStream && !this.upstreamClosed) {
          this.upstreamClosed = true;
          this.host.callback(this, "proxy_on_upstream_connection_close", this.id, PeerType.Unknown);
        }
      }
      return r === 0 ? "continue" : "pause";
    });
  }

  /** The client closed (or Envoy closed it locally): on_downstream_connection_close, then the context ends. */
  closeDownstream(peer: "remote" | "local" | "unknown" = "remote"): void {
    this.assertOpen("closeDownstream");
    this.host.run(() => this.close(peer === "remote" ? PeerType.Remote : peer === "local" ? PeerType.Local : PeerType.Unknown));
  }

  /** The upstream closed. Envoy only sees this as end_of_stream on the write path, so that is what this sends. */
  closeUpstream(): void {
    this.callOnUpstreamData(empty, { endOfStream: true });
  }

  // ---- used by host functions ------------------------------------------

  /** @internal continueReading(): the held downstream bytes go on to the upstream. */
  releaseDownstream(): void {
    this.forwardedUpstream = concatBytes(this.forwardedUpstream, this.heldDownstream);
    this.heldDownstream = empty;
    this.downstreamPaused = false;
    this.downstreamAccessible = false;
  }

  /** @internal Connection::close(FlushWrite) as requested by proxy_close_stream. */
  closeByFilter(type: "downstream" | "upstream"): void {
    if (this.closed) return;
    this.closedByFilter = type;
    this.close(PeerType.Local);
  }

  private close(peer: number): void {
    this.closed = true;
    this.heldDownstream = empty;
    this.heldUpstream = empty;
    this.host.callback(this, "proxy_on_downstream_connection_close", this.id, peer);
    this.host.finishContext(this);
  }

  /** @internal */
  buffer(kind: "downstream" | "upstream"): BufferSlot | string {
    if (kind === "downstream") {
      if (!this.downstreamAccessible) return "DOWNSTREAM_DATA is only available in proxy_on_downstream_data or while the downstream is paused";
      return { get: () => this.heldDownstream, set: (b) => void (this.heldDownstream = b) };
    }
    if (!this.upstreamAccessible) return "UPSTREAM_DATA is only available in proxy_on_upstream_data or while the upstream is paused";
    return { get: () => this.heldUpstream, set: (b) => void (this.heldUpstream = b) };
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new Error(`${what}: connection ${this.id} is closed${this.closedByFilter ? ` (by the filter, proxy_close_stream ${this.closedByFilter})` : ""}`);
  }
}
