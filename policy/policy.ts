// mqmesh.yaml: one policy file for the mesh. Read with the `yaml` library,
// validated with zod (schema/), every error naming its path
// ("kafka.acl.rules[2].topics: ..."). Sections: kafka, rocketmq (remoting,
// grpc), bridge, and the shared tracing and rateLimitService.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { rateLimitService, tracing } from "./schema/common.ts";
import { bridge, kafka, rocketmq } from "./schema/sections.ts";

const sections = z.strictObject({
  tracing: tracing.optional(),
  rateLimitService: rateLimitService.optional(),
  kafka: kafka.optional(),
  rocketmq: rocketmq.optional(),
  bridge: bridge.optional(),
});

export type Policy = z.infer<typeof sections>;
export type KafkaPolicy = NonNullable<Policy["kafka"]>;
export type RocketMQPolicy = NonNullable<Policy["rocketmq"]>;
export type BridgePolicy = NonNullable<Policy["bridge"]>;

type Path = (string | number)[];

/** Checks between sections: what a rule needs elsewhere in the file. */
function crossChecks(p: Policy, ctx: z.RefinementCtx): void {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: "custom", path, message });
  const ruleLists: [Path, { global?: boolean }[] | undefined][] = [
    [["kafka", "quotas", "rules"], p.kafka?.quotas?.rules],
    [["rocketmq", "remoting", "limits", "rules"], p.rocketmq?.remoting?.limits?.rules],
    [["rocketmq", "grpc", "limits", "rules"], p.rocketmq?.grpc?.limits?.rules],
    [["bridge", "limits", "rules"], p.bridge?.limits?.rules],
  ];
  if (!p.rateLimitService) {
    for (const [path, rules] of ruleLists) {
      rules?.forEach((r, i) => r.global && issue([...path, i, "global"], "a global limit needs the rateLimitService section"));
    }
  }
  const traced: [Path, unknown][] = [
    [["kafka", "tracing"], p.kafka?.tracing],
    [["rocketmq", "remoting", "tracing"], p.rocketmq?.remoting?.tracing],
    [["rocketmq", "grpc", "tracing"], p.rocketmq?.grpc?.tracing],
    [["bridge", "tracing"], p.bridge?.tracing],
  ];
  if (!p.tracing) for (const [path, t] of traced) if (t) issue(path, "needs the tracing section (its collector)");

  const b = p.bridge;
  if (!b) return;
  const pubsubs = b.pubsubs ?? {};
  b.routes?.forEach((r, i) => {
    if (!pubsubs[r.pubsub]) issue(["bridge", "routes", i, "pubsub"], `no pubsub named "${r.pubsub}" in bridge.pubsubs`);
  });
  if (b.rest && pubsubs[b.rest.pubsub]?.type !== "kafka") issue(["bridge", "rest", "pubsub"], `must name a kafka pubsub of bridge.pubsubs`);
  b.limits?.rules?.forEach((r, i) =>
    r.pubsubs?.forEach((name, j) => pubsubs[name] || issue(["bridge", "limits", "rules", i, "pubsubs", j], `no pubsub named "${name}"`)),
  );
  for (const [name, ps] of Object.entries(pubsubs)) {
    if (!(ps.type === "kafka" ? p.kafka : p.rocketmq)) issue(["bridge", "pubsubs", name, "type"], `a ${ps.type} pubsub needs the ${ps.type} section (the broker it publishes to)`);
  }
}

export const policySchema = sections.superRefine(crossChecks);

/** "kafka.acl.rules[2].topics" from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(top level)";
}

export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid policy\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Each zod issue as "path: message"; an unknown key is named in the path. */
function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field`);
    return [`${formatPath(issue.path)}: ${issue.message}`];
  });
}

/** Parses and validates a policy; throws PolicyError listing every problem. */
export function parsePolicy(text: string, source = "mqmesh.yaml"): Policy {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new PolicyError(source, doc.errors.map((e) => `${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ""}${e.message.split("\n")[0]}`));
  }
  const result = policySchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw new PolicyError(source, describeIssues(result.error));
  return result.data;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PolicyError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  return parsePolicy(text, file);
}
