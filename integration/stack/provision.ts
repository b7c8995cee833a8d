// Provisions the components that are built on first use before a test run,
// one after the other, so a long first build shows its progress here rather
// than inside a test hook; each is checked to exist afterwards.
//
//   npx tsx integration/stack/provision.ts                 # all of them
//   npx tsx integration/stack/provision.ts ratelimit jaeger
import { jaegerBinary } from "./jaeger.ts";
import { prometheusBin } from "./prometheus.ts";
import { rateLimitBinary } from "./ratelimit.ts";
import { redisServerBin } from "./redis.ts";
import { progress } from "./cache.ts";

const provisioners: Record<string, () => Promise<string> | string> = {
  redis: redisServerBin,
  prometheus: prometheusBin,
  ratelimit: rateLimitBinary,
  jaeger: jaegerBinary,
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in provisioners));
if (unknown.length) {
  console.error(`unknown: ${unknown.join(", ")} (known: ${Object.keys(provisioners).join(", ")})`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(provisioners)) {
  const started = Date.now();
  const path = await provisioners[name]();
  progress("provision", `${name}: ${path} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
