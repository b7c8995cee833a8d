// The WASI preview1 functions the proxy-wasm spec lists. They return WASI
// errno values, not proxy_status_t.

import { Status } from "../abi.ts";
import { Fail } from "../errors.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { toBytes } from "../memory.ts";

const W = { success: 0, badf: 8, fault: 21, inval: 28, notsup: 58 };
const WASI = "wasi_snapshot_preview1";

export function registerWasiImports(h: ProxyHost, def: DefineImport): void {
  // A memory fault in WASI is EFAULT, not INVALID_MEMORY_ACCESS.
  const fault = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof Fail && e.status === Status.InvalidMemoryAccess) throw new Fail(W.fault, `${e.problem} (errno FAULT)`);
      throw e;
    }
  };

  def(WASI, "fd_write", (fd: number, iovs: number, iovsLen: number, writtenPtr: number) =>
    fault(() => {
      if (fd !== 1 && fd !== 2) throw new Fail(W.badf, `fd ${fd} is neither stdout nor stderr`);
      let text = "";
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const iov = new DataView(h.mem.read(iovs + 8 * i, 8, "iovec").buffer);
        text += h.mem.readString(iov.getUint32(0, true), iov.getUint32(4, true), "iovec buffer");
      }
      h.log(fd === 1 ? 2 : 4, text.endsWith("\n") ? text.slice(0, -1) : text);
      h.mem.writeU32(writtenPtr, toBytes(text).length, "nwritten");
      return W.success;
    }),
  );

  def(WASI, "clock_time_get", (id: number, _precision: bigint, ptr: number) =>
    fault(() => {
      if (id !== 0 && id !== 1) throw new Fail(W.notsup, `clock id ${id} is neither REALTIME(0) nor MONOTONIC(1)`);
      h.mem.writeU64(ptr, BigInt(h.nowMs) * 1_000_000n, "time");
      return W.success;
    }),
  );

  def(WASI, "random_get", (ptr: number, len: number) =>
    fault(() => {
      if (len >>> 0 > 64 * 1024) throw new Fail(W.inval, `random_get of ${len >>> 0} bytes exceeds the host limit`);
      h.mem.writeBytes(ptr, crypto.getRandomValues(new Uint8Array(len >>> 0)), "buffer");
      return W.success;
    }),
  );

  const envEntries = () => Object.entries(h.options.env ?? {}).map(([k, v]) => toBytes(`${k}=${v}\0`));
  def(WASI, "environ_sizes_get", (countPtr: number, sizePtr: number) =>
    fault(() => {
      const entries = envEntries();
      h.mem.writeU32(countPtr, entries.length, "environ count");
      h.mem.writeU32(sizePtr, entries.reduce((n, e) => n + e.length, 0), "environ buffer size");
      return W.success;
    }),
  );
  def(WASI, "environ_get", (arrayPtr: number, bufPtr: number) =>
    fault(() => {
      let buf = bufPtr >>> 0;
      envEntries().forEach((e, i) => {
        h.mem.writeU32(arrayPtr + 4 * i, buf, "environ pointer");
        h.mem.writeBytes(buf, e, "environ buffer");
        buf += e.length;
      });
      return W.success;
    }),
  );
  def(WASI, "args_sizes_get", (argcPtr: number, sizePtr: number) =>
    fault(() => {
      h.mem.writeU32(argcPtr, 0, "argc");
      h.mem.writeU32(sizePtr, 0, "argv buffer size");
      return W.success;
    }),
  );
  def(WASI, "args_get", () => W.success);
  def(WASI, "sched_yield", () => W.success);
  def(WASI, "proc_exit", (code: number) => {
    throw new WebAssembly.RuntimeError(`proc_exit(${code})`);
  });
}
