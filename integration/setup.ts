// vitest globalSetup of the integration project: one shared stack per run.
// Components start here (in parallel where they can), publish their endpoints
// with `provide`, and stop in the returned teardown. A component that cannot
// start fails the run (with CI=true and without): tests never skip.
//
// Tests read endpoints with `inject("kafkaSidecar")` etc.; the keys are typed
// in the ProvidedContext block below.
//
// Adding a component (e.g. RocketMQ from ./stack/rocketmq.ts): append an entry
// to `components` whose start() returns the values to provide and a stop().
//
// Components only some test files use are not listed here but started by
// those files (beforeAll), so runs that do not use them pay nothing:
// startRateLimitService (./stack/ratelimit.ts, with Redis), startJaeger
// (./stack/jaeger.ts), startPrometheus (./stack/prometheus.ts). They fail
// like the components do when they cannot start.
import type { TestProject } from "vitest/node";
import { progress, stackMode, startKafkaStack, stopAll, kcatBin } from "./stack/index.ts";
import { rocketmqComponent } from "./stack/rocketmq-global.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** "native" (processes from registry packages) or "containers". */
    stackMode: string;
    /** Kafka bootstrap, direct to the broker (PLAINTEXT listener), "127.0.0.1:port". */
    kafkaBootstrap: string;
    /** Kafka through the Envoy sidecar: the kafka Wasm filter when build/kafka.wasm exists, else plain tcp_proxy. */
    kafkaSidecar: string;
    /** Path of the .wasm the sidecar runs, or "" when it runs plain tcp_proxy. */
    kafkaSidecarWasm: string;
    /** Kafka through a second Envoy with plain tcp_proxy (the baseline), always present. */
    kafkaBaseline: string;
    /** Admin URL of the sidecar Envoy, e.g. "http://127.0.0.1:port". */
    envoyAdminUrl: string;
    /** Admin URL of the baseline Envoy. */
    envoyBaselineAdminUrl: string;
    kafkaVersion: string;
    envoyVersion: string;
  }
}

type Provided = Partial<import("vitest").ProvidedContext>;

interface Component {
  name: string;
  start(): Promise<{ provide: Provided; stop(): Promise<void> }>;
}

const components: Component[] = [
  {
    name: "kafka",
    async start() {
      kcatBin(); // the Kafka tests need kcat; fail early and clearly
      const stack = await startKafkaStack();
      return {
        provide: {
          kafkaBootstrap: stack.kafka.bootstrap,
          kafkaSidecar: stack.sidecar.address,
          kafkaSidecarWasm: stack.sidecar.wasmPath ?? "",
          kafkaBaseline: stack.baseline.address,
          envoyAdminUrl: stack.sidecar.envoy.adminUrl,
          envoyBaselineAdminUrl: stack.baseline.envoy.adminUrl,
          kafkaVersion: stack.kafka.version,
          envoyVersion: stack.sidecar.envoy.binary.version,
        },
        stop: () => stack.stop(),
      };
    },
  },
  // RocketMQ (name server, broker, proxy) and its Envoy sidecar, provided as
  // inject("rocketmq"); defined in ./stack/rocketmq-global.ts.
  rocketmqComponent,
];

// While working on one part, MQMESH_COMPONENTS=kafka (comma-separated names)
// starts only what its tests need; "none" starts none (for test files that
// start their own). CI always starts everything, so no test can pass by
// finding its component missing.
function selectedComponents(): Component[] {
  const wanted = process.env.MQMESH_COMPONENTS;
  if (process.env.CI === "true" || !wanted) return components;
  if (wanted.trim() === "none") return [];
  const names = new Set(wanted.split(",").map((n) => n.trim()));
  const unknown = [...names].filter((n) => !components.some((c) => c.name === n));
  if (unknown.length) throw new Error(`MQMESH_COMPONENTS names unknown components: ${unknown.join(", ")}`);
  return components.filter((c) => names.has(c.name));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mode = stackMode();
  project.provide("stackMode", mode);
  const started = Date.now();
  const running: { name: string; stop(): Promise<void> }[] = [];
  const chosen = selectedComponents();
  const results = await Promise.allSettled(
    chosen.map(async (c) => {
      const t = Date.now();
      const r = await c.start();
      running.push({ name: c.name, stop: r.stop });
      for (const [k, v] of Object.entries(r.provide)) project.provide(k as keyof Provided & string, v as never);
      progress("setup", `${c.name} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }),
  );
  const teardown = async () => {
    await Promise.allSettled(running.map((r) => r.stop()));
    await stopAll();
  };
  const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${chosen[i].name}: ${(r.reason as Error)?.message ?? r.reason}`] : []));
  if (failures.length) {
    await teardown();
    throw new Error(`integration stack failed to start${process.env.CI === "true" ? " (CI)" : ""}:\n${failures.join("\n")}`);
  }
  progress("setup", `stack (${mode}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return teardown;
}
