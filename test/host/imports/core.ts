// Host functions that every context can call: logging, clock, tick period,
// properties, effective context, foreign functions.

import { LogLevel, Status } from "../abi.ts";
import { Connection } from "../connection.ts";
import { Fail } from "../errors.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { HttpStream } from "../http-stream.ts";
import { hasSeparator, pathKey } from "../properties.ts";
import { describeContext } from "./describe.ts";

export function registerCoreImports(h: ProxyHost, def: DefineImport): void {
  def("env", "proxy_log", (level: number, ptr: number, len: number) => {
    if (level >>> 0 > LogLevel.critical) throw new Fail(Status.BadArgument, `log level ${level >>> 0} is not one of trace(0)..critical(5)`);
    h.log(level, h.mem.readString(ptr, len, "message"));
    return Status.Ok;
  });

  def("env", "proxy_get_log_level", (ptr: number) => {
    h.mem.writeU32(ptr, h.logLevelNumber, "return_log_level");
    return Status.Ok;
  });

  def("env", "proxy_get_current_time_nanoseconds", (ptr: number) => {
    h.mem.writeU64(ptr, BigInt(h.nowMs) * 1_000_000n, "return_time");
    return Status.Ok;
  });

  // Envoy keeps one timer per root context, whichever context sets it.
  def("env", "proxy_set_tick_period_milliseconds", (period: number) => {
    h.root.tickPeriodMs = period >>> 0;
    h.root.msSinceTick = 0;
    return Status.Ok;
  });

  def("env", "proxy_get_property", (pathPtr: number, pathLen: number, valuePtrSlot: number, valueSizeSlot: number) => {
    const path = h.mem.read(pathPtr, pathLen, "path");
    const key = pathKey(path);
    const ctx = h.ctx();
    const own = ctx instanceof Connection || ctx instanceof HttpStream ? ctx.properties.get(key) : undefined;
    const value = own ?? h.root.properties.get(key) ?? h.vmProperties.get(key);
    if (value === undefined) return Status.NotFound;
    if (key.includes(".") && !hasSeparator(path)) {
      // Envoy would look up one segment literally named "source.address" and find nothing.
      throw new Fail(Status.NotFound, `property path "${key}" has no NUL separators; Envoy reads it as one segment and finds nothing (encode it as "${key.split(".").join("\\0")}")`);
    }
    h.mem.give(value, valuePtrSlot, valueSizeSlot, "property value");
    return Status.Ok;
  });

  def("env", "proxy_set_property", (pathPtr: number, pathLen: number, valuePtr: number, valueLen: number) => {
    const key = pathKey(h.mem.read(pathPtr, pathLen, "path"));
    const value = h.mem.read(valuePtr, valueLen, "value");
    const ctx = h.ctx();
    if (!(ctx instanceof Connection || ctx instanceof HttpStream)) {
      throw new Fail(Status.NotFound, `no stream info to set "${key}" on in ${describeContext(ctx)}`);
    }
    ctx.properties.set(key, value);
    return Status.Ok;
  });

  def("env", "proxy_set_effective_context", (id: number) => {
    const ctx = h.contexts.get(id >>> 0);
    if (!ctx) throw new Fail(Status.BadArgument, `unknown context id ${id >>> 0} (live: ${[...h.contexts.keys()].join(", ")})`);
    h.effective = ctx;
    return Status.Ok;
  });

  def("env", "proxy_done", () => {
    throw new Fail(Status.NotFound, "no context is waiting for proxy_done (proxy_on_done did not return false)");
  });

  def("env", "proxy_call_foreign_function", (namePtr: number, nameLen: number, argsPtr: number, argsLen: number) => {
    const name = h.mem.readString(namePtr, nameLen, "function name");
    h.mem.read(argsPtr, argsLen, "arguments");
    throw new Fail(Status.NotFound, `no foreign function "${name}" is registered in this host`);
  });
}
