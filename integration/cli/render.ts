// `mqmesh render envoy|istio [--policy FILE]`: the policy as Envoy
// bootstraps (one per sidecar) or Istio resources, built as objects
// (policy/envoy, policy/istio) and written with the `yaml` library.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { renderEnvoy } from "../../policy/envoy/render.ts";
import { renderIstio } from "../../policy/istio.ts";
import { loadPolicy, PolicyError } from "../../policy/policy.ts";
import { projectRoot } from "../../scripts/compile.ts";

export interface RenderCliOptions {
  policy: string;
  /** envoy: a folder for <sidecar>.yaml files; istio: a file. Default: stdout. */
  out?: string;
  /** envoy: where the .wasm files are (absolute paths go into the bootstraps). */
  wasmDir?: string;
  registry?: string;
  tag?: string;
}

/** YAML documents one after the other, each under a comment line naming it. */
function documents(docs: { title: string; value: unknown }[]): string {
  return docs.map((d) => `# ${d.title}\n${stringify(d.value, { lineWidth: 0 })}`).join("---\n");
}

export function render(target: "envoy" | "istio", opts: RenderCliOptions): number {
  let policy;
  try {
    policy = loadPolicy(opts.policy);
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  try {
    if (target === "envoy") {
      const rendered = renderEnvoy(policy, { wasmDir: resolve(opts.wasmDir ?? join(projectRoot, "build")) });
      if (opts.out) {
        mkdirSync(opts.out, { recursive: true });
        for (const r of rendered) writeFileSync(join(opts.out, `${r.name}.yaml`), stringify(r.bootstrap, { lineWidth: 0 }));
        process.stderr.write(`wrote ${rendered.map((r) => join(opts.out!, `${r.name}.yaml`)).join(", ")}\n`);
      } else {
        process.stdout.write(documents(rendered.map((r) => ({ title: `${r.name}: envoy -c <this document> (generated from ${opts.policy})`, value: r.bootstrap }))));
      }
      return 0;
    }
    const manifests = renderIstio(policy, { registry: opts.registry, tag: opts.tag });
    const text = documents(manifests.map((m) => ({ title: `${m.kind} ${(m.metadata as { name: string }).name} (generated from ${opts.policy})`, value: m })));
    if (opts.out) writeFileSync(opts.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (e) {
    process.stderr.write(`mqmesh render ${target}: ${(e as Error).message}\n`);
    return 1;
  }
}
