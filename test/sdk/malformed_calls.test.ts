// Malformed host calls give a clear error, never a silent success: the
// module gets Envoy's status, the host records a HostCallError naming the
// function and the problem, and strict mode throws it from the call* method.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HostCallError, ModuleTrap, ProxyHost, Status } from "../host/index.ts";
import { fixture } from "./fixtures.ts";

beforeAll(() => fixture("malformed_calls"));

async function host(mode: string, strict = true): Promise<ProxyHost> {
  return ProxyHost.start(await fixture("malformed_calls"), { pluginConfig: mode, strict });
}

// The fixture logs "status=<n>" with what the host returned to it.
const returned = (h: ProxyHost) => h.logsAt("info").filter((m) => m.startsWith("status=")).map((m) => Number(m.slice(7)));

function thrownBy(f: () => void): HostCallError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HostCallError);
    return e as HostCallError;
  }
  throw new Error("expected the call to throw a HostCallError");
}

describe.each([
  ["oob-log", "proxy_log", /message \[0x[0-9a-f]+, \+8\) lies outside the module's memory/, Status.InvalidMemoryAccess],
  ["oob-return-slot", "proxy_define_metric", /return_metric_id .* outside the module's memory/, Status.InvalidMemoryAccess],
  ["unknown-metric", "proxy_increment_metric", /unknown metric id 32752/, Status.NotFound],
  ["counter-decrement", "proxy_increment_metric", /counter malformed_counter incremented by -1/, Status.BadArgument],
  ["bad-buffer-type", "proxy_get_buffer_bytes", /buffer type 42 is not one of 0..8/, Status.BadArgument],
  ["local-response-in-root", "proxy_send_local_response", /only HTTP streams can send a local response/, Status.Ok],
  ["headers-in-root", "proxy_get_header_map_value", /header maps exist only in HTTP contexts, not in root context/, Status.BadArgument],
  ["unknown-context", "proxy_set_effective_context", /unknown context id 987654/, Status.BadArgument],
  ["bad-enum", "proxy_continue_stream", /stream type 9 is not one of 0..3/, Status.BadArgument],
] as const)("%s on tick", (mode, fn, problem, status) => {
  it(`throws a HostCallError naming ${fn} and the problem`, async () => {
    const h = await host(mode);
    const error = thrownBy(() => h.tick());
    expect(error.fn).toBe(fn);
    expect(error.message).toMatch(problem);
    expect(error.status).toBe(status);
    expect(h.errors).toEqual([error]);
  });

  it("returns Envoy's status to the module and only records the error when not strict", async () => {
    const h = await host(mode, false);
    h.tick();
    // The return slot itself is out of bounds for oob-return-slot; the status still reaches the module.
    expect(returned(h)).toEqual([status]);
    expect(h.errors.map((e) => e.fn)).toEqual([fn]);
  });
});

describe("buffer writes on a network connection (Envoy's copyFrom rules)", () => {
  it("rejects a write into the middle of the buffer", async () => {
    const h = await host("splice-buffer");
    const conn = h.newConnection();
    const error = thrownBy(() => conn.callOnDownstreamData("abcd"));
    expect(error.fn).toBe("proxy_set_buffer_bytes");
    expect(error.message).toMatch(/start=1 size=1 of a 4-byte buffer: Envoy only replaces from offset 0 or appends/);
    expect(returned(h)).toEqual([Status.BadArgument]);
  });

  it.each([
    ["prepend-buffer", "XYabcd"],
    ["replace-buffer", "XYcd"],
    ["append-buffer", "abcdXY"],
  ])("%s is allowed and changes what goes upstream", async (mode, upstream) => {
    const h = await host(mode);
    const conn = h.newConnection();
    expect(conn.callOnDownstreamData("abcd")).toBe("continue");
    expect(new TextDecoder().decode(conn.forwardedUpstream)).toBe(upstream);
    expect(returned(h)).toEqual([Status.Ok]);
  });

  it("cannot resume the upstream direction (UNIMPLEMENTED)", async () => {
    const h = await host("continue-upstream");
    const error = thrownBy(() => h.newConnection().callOnDownstreamData("x"));
    expect(error.fn).toBe("proxy_continue_stream");
    expect(error.message).toMatch(/cannot resume the UPSTREAM direction/);
    expect(returned(h)).toEqual([Status.Unimplemented]);
  });
});

describe("traps", () => {
  it("surface the abort message the module logged, and fail the VM", async () => {
    const h = await host("abort");
    let trap: unknown;
    try {
      h.tick();
    } catch (e) {
      trap = e;
    }
    expect(trap).toBeInstanceOf(ModuleTrap);
    expect((trap as ModuleTrap).message).toMatch(/proxy_on_tick: abort: deliberate abort from malformed_calls at test\/fixtures\/malformed_calls\.ts:\d+/);
    expect(() => h.tick()).toThrow(/VM failed earlier/);
  });
});

describe("loading", () => {
  it("refuses a module without the ABI marker, as Envoy does", async () => {
    // The smallest valid module: one memory, exported, and nothing else.
    const bare = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
      0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // export "memory"
    ]);
    const path = join(mkdtempSync(join(tmpdir(), "mqmesh-")), "bare.wasm");
    writeFileSync(path, bare);
    await expect(ProxyHost.load(path)).rejects.toThrow(/proxy_abi_version_0_2_1/);
  });
});
