// Words for error messages: which kind of context a call was made in.

import { Connection } from "../connection.ts";
import type { AnyContext } from "../host.ts";
import { HttpStream } from "../http-stream.ts";

export function describeContext(ctx: AnyContext): string {
  if (ctx instanceof Connection) return `network connection context ${ctx.id}`;
  if (ctx instanceof HttpStream) return `HTTP stream context ${ctx.id}`;
  return `root context ${ctx.id}`;
}
