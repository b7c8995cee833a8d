// Shapes every section of mqmesh.yaml shares: name patterns, principals,
// allow/deny, the token-bucket fields of quota and limit rules, per-filter
// tracing overrides, addresses. The filters' own JSON uses the same shapes
// (docs/architecture.md); ranges of plain tuning options (maxTopics...) are
// left to each filter's configuration reader, which `mqmesh policy check`
// also runs (policy/check.ts), so they are checked in one place.
import { isIP } from "node:net";
import { z } from "zod";

/** A topic/group/id pattern: `*` any run of characters, `?` one; otherwise literal. */
export const namePattern = z.string().min(1, "an empty pattern matches nothing");
export const namePatterns = z.array(namePattern).min(1, "at least one pattern (omit the field to match everything)");

export const action = z.enum(["allow", "deny"]);

const PRINCIPAL_PREFIXES = ["san:", "subject:", "cidr:", "client:", "user:", "group:"];

function checkCidr(value: string, ctx: z.RefinementCtx): void {
  const [ip, bits, ...rest] = value.split("/");
  const family = isIP(ip);
  if (!family || rest.length) {
    ctx.addIssue({ code: "custom", message: `cidr:${value}: expected an IPv4 or IPv6 address, optionally /bits` });
    return;
  }
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max)) {
    ctx.addIssue({ code: "custom", message: `cidr:${value}: the prefix length must be 0..${max}` });
  }
}

/**
 * Who a rule applies to: `*`, `anonymous`, a SPIFFE id (anything with ://),
 * or san:/subject:/cidr:/client:/user:/group: followed by a glob (an address for cidr:).
 */
export const principal = z.string().superRefine((value, ctx) => {
  if (value === "*" || value === "anonymous" || value.includes("://")) return;
  const prefix = PRINCIPAL_PREFIXES.find((p) => value.startsWith(p));
  if (!prefix || value.length === prefix.length) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a principal: expected *, anonymous, spiffe://…, or san:, subject:, cidr:, client:, user:, group: followed by a pattern`,
    });
    return;
  }
  if (prefix === "cidr:") checkCidr(value.slice(prefix.length), ctx);
});
export const principals = z.array(principal).min(1, "at least one principal (omit the field to match everyone)");

/**
 * A string enum matched case-insensitively, with aliases: Kafka's and
 * RocketMQ's operation names are written in several spellings.
 */
export function caseInsensitive(names: readonly string[], what: string) {
  const known = new Set(names.map((n) => n.toLowerCase()));
  return z.string().refine((v) => known.has(v.toLowerCase()), { message: `expected ${what}: ${names.join(", ")}` });
}

const positive = z.number().positive();

/** The bucket fields every quota/limit rule has besides its rates. */
export const bucketFields = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-' (it names the rule in metrics and in the rate limit service)"),
  principals: principals.optional(),
  burstSeconds: positive.optional(),
  per: z.enum(["principal", "rule"]).optional(),
  global: z.boolean().optional(),
};

/** Rules of one list must carry distinct names, and at least one of `rates`. */
export function limitRules<T extends z.ZodType<Record<string, unknown>>>(rule: T, rates: readonly string[]) {
  return z.array(
    rule.superRefine((r, ctx) => {
      if (!rates.some((k) => r[k] !== undefined)) ctx.addIssue({ code: "custom", message: `a rule sets at least one of ${rates.join(", ")}` });
    }),
  ).superRefine((rules, ctx) => {
    const seen = new Set<unknown>();
    rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${r.name}" names an earlier rule too` });
      seen.add(r.name);
    });
  });
}

// Whole tokens per second: the filters' buckets count whole bytes, requests, messages.
export const rate = z.number().int().positive();

/** "host:port" (a name, IPv4, or [IPv6]). */
export const address = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/, 'expected "host:port"');

/** A filter section's tracing: the shared `tracing` section with these overrides. */
export const filterTracing = z.strictObject({
  inject: z.enum(["always", "sampled", "off"]).optional(),
  sampling: z.number().min(0).max(1).optional(),
  serviceName: z.string().min(1).optional(),
});

/** The shared `tracing` section: where spans go (an OTLP/HTTP collector) and how many. */
export const tracing = z.strictObject({
  collector: address,
  path: z.string().startsWith("/").optional(),
  sampling: z.number().min(0).max(1).optional(),
  serviceName: z.string().min(1).optional(),
  resource: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxQueueSpans: z.number().int().positive().optional(),
  maxBatchSpans: z.number().int().positive().optional(),
  exportIntervalMs: z.number().int().positive().optional(),
});

/** The shared `rateLimitService` section: envoyproxy/ratelimit's gRPC address. */
export const rateLimitService = z.strictObject({
  address,
  domain: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().optional(),
  failureMode: z.enum(["open", "closed"]).optional(),
});

/** Where a sidecar listens ("host:port"); the kit chooses its own ports and ignores it. */
export const listen = address;
