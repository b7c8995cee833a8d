// test/kafka/schema.gen.ts: the message JSON projected for the independent
// test encoder/decoder (test/kafka/wire.ts), which interprets it without the
// generated AssemblyScript.
import type { Api } from "../kafka-codegen.ts";
import { type JField, type JMessage, PRIMS, range } from "./model.ts";

function fields(fs: JField[], common: Map<string, JField[]>): unknown[] {
  return fs.map((f) => {
    const t = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
    const sub = f.fields ?? (PRIMS.has(t) ? undefined : common.get(t));
    return {
      name: f.name, type: f.type, versions: range(f.versions), nullable: range(f.nullableVersions),
      tagged: range(f.taggedVersions), tag: f.tag ?? -1, default: f.default ?? null,
      ...(f.flexibleVersions ? { flexible: range(f.flexibleVersions) } : {}),
      ...(f.entityType ? { entityType: f.entityType } : {}),
      ...(sub ? { fields: fields(sub, common) } : {}),
    };
  });
}

function message(m: JMessage): unknown {
  const common = new Map((m.commonStructs ?? []).map((c) => [c.name, c.fields]));
  return { apiKey: m.apiKey, validVersions: range(m.validVersions), flexibleVersions: range(m.flexibleVersions), fields: fields(m.fields, common) };
}

export function emitSchema(apis: Api[]): string {
  return [
    "// Field lists of Kafka 4.x message JSON (names, types, versions, nullable/tagged versions,",
    "// defaults, entityType), projected by scripts/kafka-codegen.ts. The test encoder/decoder in",
    "// wire.ts interprets them independently of the generated AssemblyScript. Ranges are",
    "// inclusive [lo, hi]; [1, 0] means none.",
    "export type Range = [number, number];",
    "export interface SchemaField { name: string; type: string; versions: Range; nullable: Range; tagged: Range; tag: number;",
    "  default: string | number | boolean | null; flexible?: Range; entityType?: string; fields?: SchemaField[] }",
    "export interface SchemaMessage { apiKey: number; validVersions: Range; flexibleVersions: Range; fields: SchemaField[] }",
    "export const SCHEMAS: Record<string, Record<string, SchemaMessage>> = {",
    ...apis.map((a) => `  ${JSON.stringify(a.name)}: ${JSON.stringify({ [a.req.name]: message(a.req), [a.resp.name]: message(a.resp) })},`),
    "};",
    "",
  ].join("\n");
}
