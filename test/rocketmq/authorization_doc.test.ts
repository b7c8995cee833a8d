// docs/rocketmq-authorization.md is generated from the authorization map;
// this fails when the map changed and the document was not regenerated
// (npx tsx scripts/rocketmq-authorization-doc.ts).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { DOC, renderAuthorizationDoc } from "../../scripts/rocketmq-authorization-doc.ts";
import { loadAuthorization } from "./authorization.ts";

it("docs/rocketmq-authorization.md is the map as it is", async () => {
  const m = await loadAuthorization();
  const text = renderAuthorizationDoc(m);
  expect(readFileSync(DOC, "utf8")).toBe(text);
  // Every code and method has its row.
  for (const r of JSON.parse(m.codeRules())) expect(text).toContain(`| ${r.code} | ${r.name} |`);
  for (const r of JSON.parse(m.grpcMethods())) expect(text).toContain(`| ${r.method} |`);
}, 600_000);
