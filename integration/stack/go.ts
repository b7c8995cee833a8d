// Go programs from the Go module proxy, built once into the cache:
//   <cache>/go/{path,mod,build}           GOPATH, GOMODCACHE, GOCACHE shared by every build
//   <cache>/go/bin/<name>-<version>/      one program: bin/<name>, and for tools the small
//                                         module that requires it (go.mod, go.sum)
// Two ways, as the Go command allows:
//   install  `go install <package>@<version>` (modules without replace directives)
//   tool     a module of our own in the cache, `go get -tool <package>@<version>`, then
//            `go build` of that package (`go install pkg@version` refuses modules whose
//            go.mod has replace directives; inside a module of our own they are fine)
// Progress: module downloads and a count of compiled packages every few seconds, so a
// multi-minute first build does not look like a hang.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cachePath, progress, provisioned } from "./cache.ts";
import { runCommand } from "./process.ts";

export interface GoProgram {
  /** Name of the binary and of its cache folder, e.g. "ratelimit". */
  name: string;
  /** Package path of the main package, e.g. "github.com/envoyproxy/ratelimit/src/service_cmd". */
  pkg: string;
  /** Module version (tag or pseudo-version). */
  version: string;
  /** "tool" for modules whose go.mod has replace directives (see the header). */
  via: "install" | "tool";
  /** Build tags, e.g. for a smaller binary. */
  tags?: string[];
}

export interface GoBuild {
  /** Absolute path of the binary. */
  path: string;
  /** Seconds the first build took, or undefined when it came from the cache. */
  buildSeconds?: number;
}

/** GOPATH, module cache and build cache in the mqmesh cache; the rest of the environment as is. */
export function goEnv(gobin?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: cachePath("go", "path"),
    GOMODCACHE: cachePath("go", "mod"),
    GOCACHE: cachePath("go", "build"),
    // Module files read-only by default would make the cache folder undeletable with rm -rf.
    GOFLAGS: [process.env.GOFLAGS, "-modcacherw"].filter(Boolean).join(" "),
    ...(gobin ? { GOBIN: gobin } : {}),
  };
}

function goCommand(): string {
  const root = process.env.GOROOT;
  if (root && existsSync(join(root, "bin", "go"))) return join(root, "bin", "go");
  return "go";
}

/**
 * Prints module downloads as they come and, every 15 s, how many packages have
 * been compiled (`go build -v` prints each package path as it compiles it); the
 * timer also speaks while one big package compiles for minutes.
 */
async function withBuildProgress<T>(name: string, run: (onLine: (line: string) => void) => Promise<T>): Promise<T> {
  let compiled = 0;
  const started = Date.now();
  const timer = setInterval(() => progress(name, `  ${compiled} packages compiled, ${((Date.now() - started) / 1000).toFixed(0)} s`), 15_000);
  try {
    return await run((line) => {
      const download = /^go: downloading (\S+) (\S+)/.exec(line);
      if (download) progress(name, `  downloading ${download[1]} ${download[2]}`);
      else if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line.trim())) compiled++;
    });
  } finally {
    clearInterval(timer);
  }
}

/**
 * The binary of `program`, built on first use into <cache>/go/bin/<name>-<version>.
 * The first build downloads its modules and compiles them (minutes for big programs);
 * later calls return at once.
 */
export async function goBinary(program: GoProgram): Promise<GoBuild> {
  const rel = join("go", "bin", `${program.name}-${program.version}`);
  const bin = (dir: string) => join(dir, "bin", program.name);
  let buildSeconds: number | undefined;
  const dir = await provisioned(rel, async (tmp) => {
    const started = Date.now();
    progress(program.name, `building ${program.pkg}@${program.version} with ${goCommand()} (first use; downloads modules and compiles, can take minutes)`);
    const tags = program.tags?.length ? [`-tags=${program.tags.join(",")}`] : [];
    const run = (args: string[], step: string) =>
      withBuildProgress(program.name, (onLine) =>
        runCommand(goCommand(), args, { name: `go-${program.name}-${step}`, cwd: tmp, env: goEnv(join(tmp, "bin")), timeoutMs: 60 * 60_000, onLine }),
      );
    if (program.via === "install") {
      await run(["install", "-v", ...tags, `${program.pkg}@${program.version}`], "install");
      const installed = join(tmp, "bin", program.pkg.split("/").pop()!);
      if (installed !== bin(tmp)) await runCommand("mv", [installed, bin(tmp)], { name: `go-${program.name}-mv` });
    } else {
      await run(["mod", "init", `mqmesh.local/${program.name}`], "mod-init");
      await run(["get", "-tool", `${program.pkg}@${program.version}`], "get");
      await run(["build", "-v", ...tags, "-o", bin(tmp), program.pkg], "build");
    }
    buildSeconds = (Date.now() - started) / 1000;
    progress(program.name, `built in ${buildSeconds.toFixed(0)} s`);
  });
  if (!existsSync(bin(dir))) throw new Error(`${rel}: complete, but has no bin/${program.name}; delete ${dir} and retry`);
  return { path: bin(dir), buildSeconds };
}
