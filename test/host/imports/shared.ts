// Shared data (key/value with CAS) and shared queues, backed by SharedState.

import { Status } from "../abi.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { RootContext } from "../root-context.ts";

export function registerSharedImports(h: ProxyHost, def: DefineImport): void {
  const vmId = () => h.options.vmId;

  def("env", "proxy_get_shared_data", (keyPtr: number, keyLen: number, ptrSlot: number, sizeSlot: number, casSlot: number) => {
    const key = h.mem.readString(keyPtr, keyLen, "key");
    const entry = h.shared.get(vmId(), key);
    if (!entry) return Status.NotFound;
    h.mem.checkSlot(casSlot, 4, "return_cas");
    h.mem.give(entry.value, ptrSlot, sizeSlot, "shared value");
    h.mem.writeU32(casSlot, entry.cas, "return_cas");
    return Status.Ok;
  });

  def("env", "proxy_set_shared_data", (keyPtr: number, keyLen: number, valuePtr: number, valueLen: number, cas: number) => {
    const key = h.mem.readString(keyPtr, keyLen, "key");
    const value = h.mem.read(valuePtr, valueLen, "value");
    return h.shared.set(vmId(), key, value, cas >>> 0);
  });

  // Wake-ups go to the root context even when a stream context registers.
  def("env", "proxy_register_shared_queue", (namePtr: number, nameLen: number, tokenSlot: number) => {
    const name = h.mem.readString(namePtr, nameLen, "queue name");
    h.mem.checkSlot(tokenSlot, 4, "return_queue_id");
    const ctx = h.ctx();
    const rootId = ctx instanceof RootContext ? ctx.id : h.root.id;
    h.mem.writeU32(tokenSlot, h.shared.registerQueue(vmId(), name, h, rootId), "return_queue_id");
    return Status.Ok;
  });

  def("env", "proxy_resolve_shared_queue", (vmPtr: number, vmLen: number, namePtr: number, nameLen: number, tokenSlot: number) => {
    const vm = h.mem.readString(vmPtr, vmLen, "vm_id");
    const name = h.mem.readString(namePtr, nameLen, "queue name");
    const token = h.shared.resolveQueue(vm === "" ? vmId() : vm, name);
    if (token === undefined) return Status.NotFound;
    h.mem.writeU32(tokenSlot, token, "return_queue_id");
    return Status.Ok;
  });

  def("env", "proxy_enqueue_shared_queue", (token: number, ptr: number, len: number) => {
    const value = h.mem.read(ptr, len, "value");
    h.shared.enqueue(token, value);
    return Status.Ok;
  });

  def("env", "proxy_dequeue_shared_queue", (token: number, ptrSlot: number, sizeSlot: number) => {
    const item = h.shared.dequeue(token);
    if (item === undefined) return Status.Empty;
    h.mem.give(item, ptrSlot, sizeSlot, "queue item");
    return Status.Ok;
  });
}
