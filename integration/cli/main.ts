// The mqmesh CLI (bin/mqmesh.mjs loads this with tsx):
//   mqmesh up [--policy FILE] [--detach] [--json] [--no-kafka] [--no-rocketmq] [--kafka-brokers n] …
//   mqmesh build [--rebuild]
//   mqmesh down [id…] [--all]
//   mqmesh status [--json]
//   mqmesh policy check [FILE] [--schema-only]
//   mqmesh render envoy|istio [--policy FILE] [--out PATH]
// See integration/cli/README.md.
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { UpOptions } from "./up.ts";

/** The policy `up` and `policy check` use without one: the commented example. */
const DEFAULT_POLICY = fileURLToPath(new URL("../../examples/mqmesh.yaml", import.meta.url));
// Commands load their modules on demand: the stack and the AssemblyScript compiler take seconds to import.

function positiveInt(max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

const program = new Command("mqmesh")
  .description("Envoy with the mqmesh proxy-wasm filters in front of real Kafka and RocketMQ, on 127.0.0.1")
  .showHelpAfterError();

program
  .command("up")
  .description("build the filters, start Kafka, RocketMQ, their Envoy sidecars and the HTTP bridge with the policy's configuration, print the endpoints; stay up until Ctrl-C")
  .option("-d, --detach", "return once everything is up; the stack keeps running until `mqmesh down`")
  .option("--policy <file>", "the policy file the filters are configured from; edits apply while up runs", DEFAULT_POLICY)
  .option("--monitoring", "also start Prometheus scraping every sidecar (the Grafana dashboard envoy-configs/grafana/mqmesh.json reads it)")
  .option("--json", "print the endpoints as JSON (on stdout; progress goes to stderr)")
  .option("--no-kafka", "do not start Kafka and its sidecar")
  .option("--no-rocketmq", "do not start RocketMQ and its sidecar")
  .option("--kafka-brokers <n>", "number of Kafka brokers (the sidecar fronts broker 1)", positiveInt(5), 1)
  .addOption(new Option("--rocketmq-mode <mode>", "RocketMQ proxy mode (default cluster, or MQMESH_ROCKETMQ_PROXY_MODE)").choices(["cluster", "local"]))
  .option("--no-build", "do not compile the filters; use what is in build/")
  .option("--rebuild", "compile the filters even when build/ is up to date")
  .option("--timeout <seconds>", "with --detach: how long to wait for the stack (first run downloads it)", positiveInt(24 * 3600), 1800)
  .addOption(new Option("--supervise", "internal: run as the detached supervisor").hideHelp())
  .action(async (o) => {
    const opts: UpOptions = {
      policy: resolve(o.policy),
      monitoring: Boolean(o.monitoring),
      kafka: o.kafka,
      rocketmq: o.rocketmq,
      kafkaBrokers: o.kafkaBrokers,
      rocketmqMode: o.rocketmqMode,
      build: o.build,
      rebuild: Boolean(o.rebuild),
      json: Boolean(o.json),
      detach: Boolean(o.detach),
      supervise: Boolean(o.supervise),
      timeout: o.timeout,
    };
    if (!opts.kafka && !opts.rocketmq) program.error("mqmesh up: --no-kafka and --no-rocketmq leave nothing to start");
    const { supervise, upDetached, upForeground } = await import("./up.ts");
    if (opts.supervise) return supervise(opts);
    // A run folder inherited from a parent (e.g. a test run) is not ours: this run gets its own.
    delete process.env.MQMESH_RUN_DIR;
    if (opts.detach) return upDetached(opts);
    return upForeground(opts);
  });

program
  .command("build")
  .description("compile the filters to build/*.wasm (skips those newer than their sources)")
  .option("--rebuild", "compile even when up to date")
  .action(async (o) => {
    const { buildFilters } = await import("./build.ts");
    try {
      await buildFilters(Boolean(o.rebuild));
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  });

program
  .command("down")
  .description("stop the stacks that `mqmesh up --detach` started (all of them, or those named by id)")
  .argument("[id...]", "run ids as printed by `up --json` / `status`")
  .option("--all", "also stop foreground `mqmesh up`s")
  .option("--timeout <seconds>", "wait this long for a clean teardown before killing", positiveInt(3600), 60)
  .option("--json", "print what was stopped as JSON")
  .action(async (ids: string[], o) => {
    const { down } = await import("./down.ts");
    process.exitCode = await down(ids, { all: Boolean(o.all), timeout: o.timeout, json: Boolean(o.json) });
  });

program
  .command("status")
  .description("list the running mqmesh stacks and their endpoints")
  .option("--json", "as JSON")
  .action(async (o) => {
    const { status } = await import("./down.ts");
    process.exitCode = status(Boolean(o.json));
  });

const policy = program.command("policy").description("the mesh's policy file (mqmesh.yaml)");
policy
  .command("check")
  .description("validate a policy file (errors name the path), then ask each filter whether it accepts the configuration produced for it")
  .argument("[file]", "the policy file", DEFAULT_POLICY)
  .option("--schema-only", "only the schema: do not load the filters")
  .action(async (file: string, o) => {
    const { policyCheck } = await import("./policy.ts");
    process.exitCode = await policyCheck(file, { schemaOnly: Boolean(o.schemaOnly) });
  });

program
  .command("render")
  .description("the policy as Envoy bootstraps (one per sidecar) or Istio WasmPlugin/EnvoyFilter manifests")
  .addArgument(new Argument("<target>", "what to render").choices(["envoy", "istio"]))
  .option("--policy <file>", "the policy file", DEFAULT_POLICY)
  .option("--out <path>", "envoy: a folder for <sidecar>.yaml; istio: a file (default: stdout)")
  .option("--wasm-dir <dir>", "envoy: where the filters' .wasm are", "build")
  .option("--registry <registry>", "istio: the OCI registry of the filter images", "registry.example.com/mqmesh")
  .option("--tag <tag>", "istio: the images' tag (default: the package version)")
  .action(async (target: "envoy" | "istio", o) => {
    const { render } = await import("./render.ts");
    process.exitCode = render(target, { policy: o.policy, out: o.out, wasmDir: o.wasmDir, registry: o.registry, tag: o.tag });
  });

await program.parseAsync(process.argv);
