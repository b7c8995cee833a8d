// Writes the Kafka codec from Kafka's message definitions
// (common/message/*.json, resources of the kafka-clients jar): per API
// assembly/kafka/api/<api>.ts (classes, decode/encode, the resources a
// request names, its authorization-error response), the registry
// assembly/kafka/api/registry.ts, the table docs/kafka-resources.md, and
// test/kafka/schema.gen.ts for the independent test encoder. The JSON is read as data: field names, types,
// versions, nullable/tagged versions, defaults and entityType. Nothing of
// Kafka's generator is used.
//
//   npx tsx scripts/kafka-codegen.ts                  # kafka-clients 4.4.0 from Maven Central
//   npx tsx scripts/kafka-codegen.ts --kafka 4.5.0    # another release
//   npx tsx scripts/kafka-codegen.ts --json <dir>     # a folder of the *.json files
//
// The output is committed; re-run it when moving to a newer Kafka, and
// rebuild (npm run build) and run the unit tests (test/kafka/*.test.ts). A
// new API key also needs its name and first flexible version in
// assembly/kafka/api_keys.ts (the codec tests fail until it has them).
// This output came from kafka-clients 4.4.0 on Maven Central (the newest 4.x
// release when generated; its JSON is a superset of what the 4.1.1 broker
// serves). Covered: every API whose request lists "broker" among its
// listeners, 79 of them, which is every API a broker accepts; the
// controller-only ones (Vote, BrokerRegistration, ...) a broker refuses.
// What the JSON does not say (resources without an entityType annotation,
// request/response pairs it cannot find) is in kafka-codegen/exceptions.ts.
import { Command } from "commander";
import { unzipSync } from "fflate";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { artifact, resolveClasspath } from "../integration/stack/maven.ts";
import { ApiModel, type JMessage, parseMessageJson, range } from "./kafka-codegen/model.ts";
import { emitApiFile } from "./kafka-codegen/api_file.ts";
import { emitRegistry, emitResourceTable } from "./kafka-codegen/registry.ts";
import { emitSchema } from "./kafka-codegen/schema.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

export interface Api { name: string; file: string; req: JMessage; resp: JMessage }

// kafka-clients' own dependencies (compression codecs, logging) are not needed for its resources.
const CLIENT_DEPENDENCIES = ["com.github.luben:zstd-jni", "org.lz4:lz4-java", "at.yawk.lz4:lz4-java", "org.xerial.snappy:snappy-java", "org.slf4j:slf4j-api"];

async function messageFiles(opts: { kafka: string; json?: string }): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (opts.json) {
    for (const f of readdirSync(opts.json)) if (f.endsWith(".json")) files.set(f.slice(0, -5), readFileSync(join(opts.json, f), "utf8"));
    return files;
  }
  const cp = await resolveClasspath(`kafka-clients-${opts.kafka}`, [artifact(`org.apache.kafka:kafka-clients:${opts.kafka}`, CLIENT_DEPENDENCIES)]);
  const jar = cp.jars.find((j) => j.includes("kafka-clients"));
  if (!jar) throw new Error(`no kafka-clients jar in ${cp.dir}`);
  const entries = unzipSync(readFileSync(jar), { filter: (e) => /^common\/message\/\w+\.json$/.test(e.name) });
  for (const [name, data] of Object.entries(entries)) files.set(name.slice("common/message/".length, -5), Buffer.from(data).toString("utf8"));
  return files;
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

function brokerApis(files: Map<string, string>): Api[] {
  const apis: Api[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith("Request")) continue;
    const req = parseMessageJson(text);
    if (req.type !== "request" || range(req.validVersions)[0] > range(req.validVersions)[1]) continue;
    if (!(req.listeners ?? []).includes("broker")) continue;
    const name = file.slice(0, -"Request".length);
    const respText = files.get(name + "Response");
    if (!respText) throw new Error(`no ${name}Response.json`);
    const resp = parseMessageJson(respText);
    // the registry keeps one version range per API
    if (req.validVersions !== resp.validVersions) throw new Error(`${name}: request v${req.validVersions}, response v${resp.validVersions}`);
    apis.push({ name, file: snake(name), req, resp });
  }
  return apis.sort((a, b) => a.req.apiKey - b.req.apiKey);
}

async function main(): Promise<void> {
  const opts = new Command()
    .option("--kafka <version>", "kafka-clients release whose JSON to read", "4.4.0")
    .option("--json <dir>", "read the message JSON from this folder instead")
    .parse()
    .opts<{ kafka: string; json?: string }>();
  const apis = brokerApis(await messageFiles(opts));
  const apiDir = join(root, "assembly/kafka/api");
  mkdirSync(apiDir, { recursive: true });
  const models = new Map<string, ApiModel>();
  for (const api of apis) {
    const model = new ApiModel();
    model.addMessage(api.req);
    model.addMessage(api.resp);
    models.set(api.name, model);
    writeFileSync(join(apiDir, api.file + ".ts"), emitApiFile(api, model));
  }
  writeFileSync(join(apiDir, "registry.ts"), emitRegistry(apis, models));
  mkdirSync(join(root, "docs"), { recursive: true });
  writeFileSync(join(root, "docs/kafka-resources.md"), emitResourceTable(apis, models));
  writeFileSync(join(root, "test/kafka/schema.gen.ts"), emitSchema(apis));
  console.log(`generated ${apis.length} APIs from ${opts.json ?? `kafka-clients ${opts.kafka}`}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
