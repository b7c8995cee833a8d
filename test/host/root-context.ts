// The plugin (root) context: what Envoy keeps per configured plugin. It owns
// the tick timer, receives proxy_http_call / gRPC callbacks (Envoy starts
// those calls on the root context, whatever context asked), and is where
// the plugin and VM configuration buffers are readable.

import type { Pairs } from "./abi.ts";

export interface HttpCallResponse {
  headers: Pairs;
  body: Uint8Array;
  trailers: Pairs;
}

export class RootContext {
  readonly kind = "root" as const;
  tickPeriodMs = 0;
  msSinceTick = 0;
  // Set only while the matching callback runs, as Envoy does.
  vmStarting = false;
  configuring = false;
  httpCallResponse: HttpCallResponse | undefined;
  grpcInitialMetadata: Pairs | undefined;
  grpcMessage: Uint8Array | undefined;
  grpcTrailingMetadata: Pairs | undefined;
  // What proxy_get_status reports (set for an http call failure or a gRPC close).
  status = { code: 0, message: "" };
  readonly properties = new Map<string, Uint8Array>();
  created = false;

  constructor(readonly id: number) {}
}
