// proxy_define_metric and friends, backed by MetricStore (Envoy's rules live there).

import { Status } from "../abi.ts";
import type { DefineImport, ProxyHost } from "../host.ts";

export function registerMetricImports(h: ProxyHost, def: DefineImport): void {
  def("env", "proxy_define_metric", (type: number, namePtr: number, nameLen: number, idSlot: number) => {
    const name = h.mem.readString(namePtr, nameLen, "name");
    h.mem.checkSlot(idSlot, 4, "return_metric_id");
    h.mem.writeU32(idSlot, h.metrics.define(type >>> 0, name), "return_metric_id");
    return Status.Ok;
  });

  def("env", "proxy_increment_metric", (id: number, delta: bigint) => {
    h.metrics.increment(id, BigInt.asIntN(64, delta));
    return Status.Ok;
  });

  def("env", "proxy_record_metric", (id: number, value: bigint) => {
    h.metrics.record(id, BigInt.asUintN(64, value));
    return Status.Ok;
  });

  def("env", "proxy_get_metric", (id: number, valueSlot: number) => {
    const value = h.metrics.get(id);
    h.mem.writeU64(valueSlot, value, "return_value");
    return Status.Ok;
  });
}
