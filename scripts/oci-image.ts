// Packages a built filter as a Wasm OCI image, "compat" variant of the
// Wasm image spec (solo-io/wasm spec/spec-compat.md), which is what Istio's
// WasmPlugin `url: oci://…` pulls:
//   - exactly one layer, media type application/vnd.oci.image.layer.v1.tar+gzip,
//     a tar holding `plugin.wasm` (the module Envoy loads);
//   - config media type application/vnd.oci.image.config.v1+json;
//   - manifest annotation module.wasm.image/variant=compat.
// Written as an OCI image layout directory (oci-layout, index.json,
// blobs/sha256/<hex>) plus a .tar of that directory, so standard tools can
// push it (none of them run on this machine):
//   oras cp --from-oci-layout build/oci/kafka:0.1.0 registry.example.com/mqmesh/kafka:0.1.0
//   skopeo copy oci:build/oci/kafka:0.1.0 docker://registry.example.com/mqmesh/kafka:0.1.0
//   crane push build/oci/kafka registry.example.com/mqmesh/kafka:0.1.0
//
// Usage: npm run oci -- <filter> [--out dir] [--tag t] [--source url]
//   <filter>  kafka | rocketmq | rocketmq-grpc | http-mq-bridge (build/<filter>.wasm)
//   --out     layout directory (default build/oci/<filter>); the tar is <out>.tar
//   --tag     org.opencontainers.image.ref.name in index.json (default: package version)
//   --source  org.opencontainers.image.source (default: package.json repository, else https://github.com/mqmesh/mqmesh)
//
// Tar archives come from the `tar` npm package (portable headers: no uid/gid
// names, fixed mtime) and gzip from node:zlib; only the JSON documents and
// digests are written here. The output is reproducible: same .wasm, same
// options, same digests.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as tar from "tar";

export const MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export const FILTERS = ["kafka", "rocketmq", "rocketmq-grpc", "http-mq-bridge"] as const;

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Fixed timestamp for tar entries, so the layer digest depends on the bytes only. */
const EPOCH = new Date(0);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciImageOptions {
  /** The .wasm to package. */
  wasmPath: string;
  /** Layout directory to (re)create; the tar goes to `${outDir}.tar`. */
  outDir: string;
  tag: string;
  title: string;
  version: string;
  source: string;
}

export interface OciImageResult {
  outDir: string;
  tarPath: string;
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** A tar of `files` (paths relative to `cwd`), portable and timestamp-free. */
function tarOf(cwd: string, files: string[]): Buffer {
  const out = join(mkdtempSync(join(tmpdir(), "mqmesh-oci-")), "out.tar");
  try {
    tar.create({ cwd, file: out, sync: true, portable: true, mtime: EPOCH, noDirRecurse: false }, files);
    return readFileSync(out);
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}

export function buildOciImage(opts: OciImageOptions): OciImageResult {
  const wasm = readFileSync(opts.wasmPath);
  if (wasm.length < 8 || wasm.readUInt32BE(0) !== 0x0061736d) throw new Error(`${opts.wasmPath}: not a WebAssembly module`);

  // Layer: plugin.wasm in a tar, gzipped.
  const stage = mkdtempSync(join(tmpdir(), "mqmesh-oci-layer-"));
  let layerTar: Buffer;
  try {
    writeFileSync(join(stage, "plugin.wasm"), wasm, { mode: 0o644 });
    layerTar = tarOf(stage, ["plugin.wasm"]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // gzip header mtime is 0 in Node's zlib, so this is reproducible too.
  const layerBlob = gzipSync(layerTar, { level: 9 });

  const configBlob = Buffer.from(
    JSON.stringify({
      architecture: "wasm",
      os: "wasip1",
      config: { Labels: { "org.opencontainers.image.title": opts.title } },
      rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
    }),
  );

  const layer: Descriptor = {
    mediaType: MEDIA_TYPES.layer,
    digest: sha256(layerBlob),
    size: layerBlob.length,
  };
  const config: Descriptor = { mediaType: MEDIA_TYPES.config, digest: sha256(configBlob), size: configBlob.length };
  const annotations = {
    "module.wasm.image/variant": "compat",
    "org.opencontainers.image.title": opts.title,
    "org.opencontainers.image.version": opts.version,
    "org.opencontainers.image.source": opts.source,
  };
  const manifestBlob = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers: [layer], annotations }),
  );
  const manifest: Descriptor = {
    mediaType: MEDIA_TYPES.manifest,
    digest: sha256(manifestBlob),
    size: manifestBlob.length,
    annotations: { "org.opencontainers.image.ref.name": opts.tag },
  };
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [manifest] };

  rmSync(opts.outDir, { recursive: true, force: true });
  const blobs = join(opts.outDir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  for (const [d, bytes] of [
    [layer, layerBlob],
    [config, configBlob],
    [manifest, manifestBlob],
  ] as const) {
    writeFileSync(join(blobs, d.digest.slice("sha256:".length)), bytes);
  }
  writeFileSync(join(opts.outDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(opts.outDir, "index.json"), JSON.stringify(index, null, 2) + "\n");

  // The layout as one tar (what `skopeo copy oci-archive:` and `crane push` take).
  const tarPath = `${opts.outDir}.tar`;
  writeFileSync(tarPath, tarOf(opts.outDir, ["oci-layout", "index.json", "blobs"]));
  return { outDir: opts.outDir, tarPath, manifest, config, layer };
}

function packageInfo(): { version: string; repository?: string } {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  return { version: pkg.version, repository: repo };
}

function main(argv: string[]): void {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      flags[a.slice(2)] = value;
    } else positional.push(a);
  }
  const filter = positional[0];
  if (positional.length !== 1 || !(FILTERS as readonly string[]).includes(filter)) {
    throw new Error(`usage: npm run oci -- <${FILTERS.join("|")}> [--out dir] [--tag t] [--source url]`);
  }
  for (const k of Object.keys(flags)) if (!["out", "tag", "source"].includes(k)) throw new Error(`unknown option --${k}`);
  const pkg = packageInfo();
  const result = buildOciImage({
    wasmPath: join(projectRoot, "build", `${filter}.wasm`),
    outDir: resolve(flags.out ?? join(projectRoot, "build", "oci", filter)),
    tag: flags.tag ?? pkg.version,
    title: `mqmesh-${filter}`,
    version: pkg.version,
    source: flags.source ?? pkg.repository ?? "https://github.com/mqmesh/mqmesh",
  });
  console.log(`${result.outDir}  (OCI image layout, tag ${flags.tag ?? pkg.version})`);
  console.log(`${result.tarPath}`);
  console.log(`  manifest ${result.manifest.digest} ${result.manifest.size} B`);
  console.log(`  config   ${result.config.digest} ${result.config.size} B`);
  console.log(`  layer    ${result.layer.digest} ${result.layer.size} B (plugin.wasm, tar+gzip)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
