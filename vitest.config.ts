import { defineConfig } from "vitest/config";

// Two projects: unit tests drive compiled .wasm through the host emulator;
// integration tests run real Envoy against real brokers and share one stack
// per run (started in integration/setup.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts", "filters/**/*.test.ts"],
          // Exhaustive truncation and fuzz properties run through the .wasm;
          // on 2 shared cores some take several seconds.
          testTimeout: 60_000,
          // Modules are compiled on first use (scripts/compile.ts freshModule),
          // usually in a beforeAll, which may also wait for another worker
          // compiling the same module; missing filters are compiled before
          // the tests start: a fresh clone needs no build first.
          globalSetup: ["test/build-missing.ts"],
          hookTimeout: 600_000,
          exclude: ["filters/**/*.integration.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["integration/**/*.test.ts", "filters/**/*.integration.test.ts"],
          globalSetup: ["integration/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
