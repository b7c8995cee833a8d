// The Wasm OCI image of build/kafka.wasm, checked without trusting the code
// that wrote it: every blob is reached from index.json, every digest and size
// recomputed, the layer un-gzipped with node:zlib and un-tarred by the small
// ustar reader below (not the `tar` package the writer uses), and plugin.wasm
// compared byte-for-byte with the build output. Media types and the compat
// annotation are those of the Wasm image spec, compat variant
// (solo-io/wasm spec/spec-compat.md).
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { buildOciImage } from "../scripts/oci-image.ts";

let wasmPath: string;

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  data: Buffer;
}

/** Reads a ustar archive: 512-byte headers, data padded to 512, two zero blocks at the end. */
function untar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  while (off + 512 <= archive.length) {
    const header = archive.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.subarray(start, start + len).toString("latin1").replace(/\0.*$/s, "");
    const storedSum = parseInt(field(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    expect(sum, `header checksum at ${off}`).toBe(storedSum);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const prefix = field(345, 155);
    const name = (prefix ? prefix + "/" : "") + field(0, 100);
    entries.push({ name, type: field(156, 1) || "0", mode: parseInt(field(100, 8).trim(), 8), data: archive.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

const sha256 = (b: Uint8Array) => "sha256:" + createHash("sha256").update(b).digest("hex");

describe("Wasm OCI image (compat variant) of build/kafka.wasm", () => {
  let dir: string;
  let out: string;
  const blob = (digest: string) => {
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    return readFileSync(join(out, "blobs", "sha256", digest.slice(7)));
  };
  /** Reads the blob a descriptor names and checks its size and digest. */
  const fetch = (d: { digest: string; size: number }) => {
    const bytes = blob(d.digest);
    expect(bytes.length).toBe(d.size);
    expect(sha256(bytes)).toBe(d.digest);
    return bytes;
  };

  beforeAll(async () => {
    wasmPath = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
    dir = mkdtempSync(join(tmpdir(), "mqmesh-oci-test-"));
    out = join(dir, "kafka");
    buildOciImage({ wasmPath, outDir: out, tag: "test-tag", title: "mqmesh-kafka", version: "9.9.9", source: "https://example.com/mqmesh" });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is an OCI image layout whose index names one manifest by tag", () => {
    expect(JSON.parse(readFileSync(join(out, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(index.manifests[0].annotations["org.opencontainers.image.ref.name"]).toBe("test-tag");
  });

  it("has correct digests and sizes from index to layer, and plugin.wasm is the build output byte for byte", () => {
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
    const manifest = JSON.parse(fetch(index.manifests[0]).toString("utf8"));
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(manifest.annotations).toEqual({
      "module.wasm.image/variant": "compat",
      "org.opencontainers.image.title": "mqmesh-kafka",
      "org.opencontainers.image.version": "9.9.9",
      "org.opencontainers.image.source": "https://example.com/mqmesh",
    });

    expect(manifest.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    const config = JSON.parse(fetch(manifest.config).toString("utf8"));

    // compat: exactly one layer, tar+gzip, holding plugin.wasm.
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    const gz = fetch(manifest.layers[0]);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const layerTar = gunzipSync(gz);
    expect(config.rootfs).toEqual({ type: "layers", diff_ids: [sha256(layerTar)] });

    const files = untar(layerTar).filter((e) => e.type === "0");
    expect(files.map((e) => e.name)).toEqual(["plugin.wasm"]);
    expect(files[0].mode & 0o444).toBe(0o444);
    expect(Buffer.compare(files[0].data, readFileSync(wasmPath))).toBe(0);

    // Nothing in blobs/ that the manifest does not reach.
    const reached = [index.manifests[0].digest, manifest.config.digest, manifest.layers[0].digest].map((d: string) => d.slice(7));
    expect(readdirSync(join(out, "blobs", "sha256")).sort()).toEqual(reached.sort());
  });

  it("writes the layout as a tar with the same bytes", () => {
    const tarPath = `${out}.tar`;
    expect(existsSync(tarPath)).toBe(true);
    const entries = untar(readFileSync(tarPath)).filter((e) => e.type === "0");
    expect(entries.map((e) => e.name).sort()).toEqual(
      ["oci-layout", "index.json", ...readdirSync(join(out, "blobs", "sha256")).map((f) => `blobs/sha256/${f}`)].sort(),
    );
    for (const e of entries) expect(Buffer.compare(e.data, readFileSync(join(out, e.name))), e.name).toBe(0);
  });

  it("is reproducible: the same module gives the same manifest digest", () => {
    const again = join(dir, "again");
    const a = buildOciImage({ wasmPath, outDir: again, tag: "test-tag", title: "mqmesh-kafka", version: "9.9.9", source: "https://example.com/mqmesh" });
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
    expect(a.manifest.digest).toBe(index.manifests[0].digest);
  });
});
