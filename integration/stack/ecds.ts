// Filter configurations delivered by ECDS from files: Envoy watches each
// <dir>/<name>.yaml and takes a file moved into place as the filter's new
// configuration for the connections (or HTTP streams) that follow, without a
// restart. Files are written beside and renamed into place, so Envoy never
// reads half of one.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { stringify } from "yaml";
import { ecdsPath, ecdsResource, type WasmFilter } from "../../policy/envoy/resources.ts";

let versions = 0;

/** Writes (or replaces) the ECDS file of `filter` in `dir`; returns its path. */
export function writeEcdsFile(dir: string, filter: WasmFilter): string {
  const file = ecdsPath(dir, filter);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, stringify(ecdsResource(filter, `${Date.now()}-${++versions}`), { lineWidth: 0 }));
  renameSync(tmp, file);
  return file;
}
