#!/usr/bin/env node
// The mqmesh CLI: loads integration/cli/main.ts with tsx from this project's
// own node_modules (resolved relative to this file, so `npx mqmesh`, `npm start`
// and `node bin/mqmesh.mjs` behave the same from any directory).
import { register } from "tsx/esm/api";

register();
await import(new URL("../integration/cli/main.ts", import.meta.url).href);
