// The shared RocketMQ stack of an integration run (rocketmq-stack.ts), started
// once in vitest's globalSetup and handed to test files with provide/inject as
// "rocketmq". integration/setup.ts lists rocketmqComponent; a test file run
// without that globalSetup starts its own stack (useRocketMQStack).
import { inject } from "vitest";
import { startRocketMQStack, type RocketMQEndpoints } from "./rocketmq-stack.ts";

export * from "./rocketmq-stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    rocketmq: RocketMQEndpoints;
  }
}

/**
 * The RocketMQ entry of integration/setup.ts's `components`: starts the stack
 * and provides its endpoints as "rocketmq".
 */
export const rocketmqComponent = {
  name: "rocketmq",
  async start(): Promise<{ provide: { rocketmq: RocketMQEndpoints }; stop(): Promise<void> }> {
    const stack = await startRocketMQStack();
    return { provide: { rocketmq: stack.endpoints }, stop: () => stack.stop() };
  },
};

/**
 * In a test file's beforeAll: the stack from globalSetup, or (when this file
 * runs without it) one started for this file and stopped by the returned stop().
 */
export async function useRocketMQStack(): Promise<{ endpoints: RocketMQEndpoints; stop(): Promise<void> }> {
  let provided: RocketMQEndpoints | undefined;
  try {
    provided = inject("rocketmq");
  } catch {
    provided = undefined;
  }
  if (provided) return { endpoints: provided, stop: async () => {} };
  const stack = await startRocketMQStack();
  return { endpoints: stack.endpoints, stop: () => stack.stop() };
}
