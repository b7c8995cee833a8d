// What a filter enforces, in a few words per feature, from the JSON
// configuration produced for it: the lines `mqmesh up` prints per filter.
type Json = Record<string, any>;

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

function acl(c: Json): string | undefined {
  if (!c.acl) return undefined;
  const rules: Json[] = c.acl.rules ?? [];
  const denied = rules.filter((r) => r.action === "deny").flatMap((r) => r.topics ?? []);
  const apis = c.acl.denyApis?.length ? `, APIs denied: ${c.acl.denyApis.join(" ")}` : "";
  return `ACL: ${plural(rules.length, "rule")}, default ${c.acl.defaultAction ?? "allow"}${denied.length ? `, denies ${denied.join(" ")}` : ""}${apis}`;
}

function limits(c: Json, key: "quotas" | "limits"): string | undefined {
  const rules: Json[] | undefined = c[key]?.rules;
  if (!rules) return undefined;
  const global = rules.filter((r) => r.global).length;
  return `${key}: ${rules.map((r) => r.name).join(" ")}${global ? ` (${global} global, via the rate limit service)` : ""}`;
}

function tracing(c: Json): string | undefined {
  const t = c.tracing;
  return t ? `tracing: inject ${t.inject}, sampling ${t.sampling}, spans to ${t.collector.authority}` : undefined;
}

/** One line per feature the configuration turns on; observing is always on. */
export function describeFilter(filter: string, config: Json): string[] {
  const lines: (string | undefined)[] = ["metrics"];
  switch (filter) {
    case "kafka":
      lines.push(acl(config), limits(config, "quotas"), config.brokerAddresses ? "broker address rewrite" : undefined);
      break;
    case "rocketmq":
      lines.push(acl(config), limits(config, "limits"), config.routeRewrite ? `route answers name ${config.routeRewrite.address}` : undefined);
      break;
    case "rocketmq-grpc":
      lines.push(acl(config), limits(config, "limits"), config.endpoints ? `route answers name ${config.endpoints.host}:${config.endpoints.port}` : undefined);
      break;
    case "http-mq-bridge": {
      const pubsubs = Object.entries<Json>(config.pubsubs ?? {});
      const routes = pubsubs.reduce((n, [, p]) => n + (p.routes?.length ?? 0), 0);
      lines.push(`pubsubs: ${pubsubs.map(([name, p]) => `${name} (${p.type})`).join(", ")}`, routes ? plural(routes, "routing rule") : undefined);
      lines.push(config.rest ? `REST records API on ${config.rest.pubsub}` : undefined, limits(config, "limits"));
      break;
    }
  }
  lines.push(tracing(config), config.rateLimitService ? `rate limit service: ${config.rateLimitService.domain}, fail ${config.rateLimitService.failureMode}` : undefined);
  return lines.filter((l): l is string => Boolean(l));
}
