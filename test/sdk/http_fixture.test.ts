// The SDK's HTTP-filter wrappers, driven through the http_fixture in the
// host emulator as Envoy would drive them.
import { beforeAll, describe, expect, it } from "vitest";
import { SharedState } from "../host/index.ts";
import { fixture, startFixture } from "./fixtures.ts";

beforeAll(() => fixture("http_fixture"));

const start = (opts: Parameters<typeof startFixture>[1] = {}) => startFixture("http_fixture", opts);
const get = (path: string): [string, string][] => [[":method", "GET"], [":path", path], [":authority", "example.com"]];

describe("request and response headers", () => {
  it("adds x-mqmesh to the request and lets it through", async () => {
    const host = await start();
    const stream = host.newHttpStream();
    expect(stream.callOnRequestHeaders(get("/plain"), { endOfStream: true })).toBe("continue");
    expect(stream.requestForwarded).toBe(true);
    expect(stream.requestHeader("x-mqmesh")).toBe("fixture");
    expect(stream.requestHeaders.slice(0, 3)).toEqual(get("/plain"));
  });

  it("adds x-request-body-bytes to the response", async () => {
    const host = await start();
    const stream = host.newHttpStream();
    stream.callOnRequestHeaders(get("/plain"), { endOfStream: true });
    expect(stream.callOnResponseHeaders([[":status", "204"]], { endOfStream: true })).toBe("continue");
    expect(stream.responseHeaders).toEqual([[":status", "204"], ["x-request-body-bytes", "0"]]);
    expect(stream.responseHeader("x-hits")).toBeUndefined();
  });
});

describe("request body", () => {
  it("buffers the body until end of stream and then reads all of it", async () => {
    const host = await start();
    const stream = host.newHttpStream();
    stream.callOnRequestHeaders([[":method", "POST"], [":path", "/upload"], [":authority", "a"]]);
    expect(stream.callOnRequestBody("hello ")).toBe("stopAndBuffer");
    expect(stream.requestBody.length).toBe(0);
    expect(stream.callOnRequestBody("big ")).toBe("stopAndBuffer");
    expect(stream.callOnRequestBody("world", { endOfStream: true })).toBe("continue");
    expect(stream.requestBodyText).toBe("hello big world");
    stream.callOnResponseHeaders([[":status", "200"]]);
    expect(stream.responseHeader("x-request-body-bytes")).toBe("15");
  });
});

describe("local responses", () => {
  it("answers /local with 418 teapot and x-local, without forwarding the request", async () => {
    const host = await start();
    const stream = host.newHttpStream();
    expect(stream.callOnRequestHeaders(get("/local"), { endOfStream: true })).toBe("stopAllAndWatermark");
    expect(stream.localResponse).toMatchObject({ status: 418, body: "teapot", headers: [["x-local", "1"]] });
    expect(stream.requestForwarded).toBe(false);
    // Envoy sends the local reply through the encoder path, this filter included.
    expect(stream.responseHeader(":status")).toBe("418");
    expect(stream.responseHeader("x-local")).toBe("1");
    expect(stream.responseHeader("x-request-body-bytes")).toBe("0");
    expect(stream.responseBodyText).toBe("teapot");
  });
});

describe("http calls", () => {
  it("calls the upstream cluster and answers with its body", async () => {
    const host = await start({ clusters: ["upstream"] });
    const stream = host.newHttpStream();
    expect(stream.callOnRequestHeaders(get("/call"), { endOfStream: true })).toBe("stop");
    expect(host.httpCalls).toHaveLength(1);
    const call = host.httpCalls[0];
    expect(call).toMatchObject({ cluster: "upstream", timeoutMs: 1000, trailers: [], contextId: stream.id });
    expect(call.headers).toEqual([[":method", "GET"], [":path", "/called"], [":authority", "upstream"]]);
    expect(call.body.length).toBe(0);
    expect(stream.localResponse).toBeUndefined();

    host.respondToHttpCall(call.token, { headers: [[":status", "200"]], body: "pong" });
    expect(host.httpCalls).toHaveLength(0);
    expect(stream.localResponse).toMatchObject({ status: 200, body: "called:pong" });
    expect(stream.requestForwarded).toBe(false);
  });

  it("delivers the answer to the calling stream when Envoy runs another callback inside proxy_http_call", async () => {
    // An http call to an internal listener: Envoy opens that connection, and
    // runs the listener's network filters in this VM, before the call returns.
    const host = await start();
    const stream = host.newHttpStream();
    host.afterHostCall("proxy_http_call", () => void host.newConnection());
    stream.callOnRequestHeaders(get("/call"), { endOfStream: true });
    host.respondToHttpCall(host.httpCalls[0].token, { headers: [[":status", "200"]], body: "pong" });
    expect(stream.localResponse).toMatchObject({ status: 200, body: "called:pong" });
  });

  it("answers 502 when the call fails", async () => {
    const host = await start();
    const stream = host.newHttpStream();
    stream.callOnRequestHeaders(get("/call"), { endOfStream: true });
    host.failHttpCall(host.httpCalls[0].token);
    expect(stream.localResponse).toMatchObject({ status: 502, body: "call failed" });
  });

  it("answers 502 when Envoy refuses the call (unknown cluster), and the refusal is recorded", async () => {
    const host = await start({ clusters: ["elsewhere"], strict: false });
    const stream = host.newHttpStream();
    stream.callOnRequestHeaders(get("/call"), { endOfStream: true });
    expect(host.httpCalls).toHaveLength(0);
    expect(stream.localResponse).toMatchObject({ status: 502, body: "call failed" });
    expect(host.errors.map((e) => e.fn)).toEqual(["proxy_http_call"]);
    expect(host.errors[0].message).toMatch(/unknown cluster "upstream"/);
    expect(host.logsAt("warn").some((m) => m.includes("http call failed to start: 2"))).toBe(true);
  });
});

describe("shared data", () => {
  it("counts hits across streams with compare-and-swap", async () => {
    const host = await start();
    for (const expected of ["1", "2", "3"]) {
      const stream = host.newHttpStream();
      stream.callOnRequestHeaders(get("/count"), { endOfStream: true });
      stream.callOnResponseHeaders([[":status", "200"]], { endOfStream: true });
      expect(stream.responseHeader("x-hits")).toBe(expected);
      stream.complete();
    }
    expect(host.sharedData.getString("hits")).toBe("3");
  });

  it("retries when another worker writes between its read and its CAS write", async () => {
    const shared = new SharedState();
    const workerA = await start({ shared });
    const workerB = await start({ shared });
    workerA.sharedData.set("hits", "5");
    const a = workerA.newHttpStream();
    const b = workerB.newHttpStream();
    // Worker B counts a hit while A is between proxy_get_shared_data and proxy_set_shared_data.
    workerA.afterHostCall("proxy_get_shared_data", () => {
      b.callOnRequestHeaders(get("/count"), { endOfStream: true });
    });
    a.callOnRequestHeaders(get("/count"), { endOfStream: true });
    a.callOnResponseHeaders([[":status", "200"]]);
    b.callOnResponseHeaders([[":status", "200"]]);
    expect(b.responseHeader("x-hits")).toBe("6");
    expect(a.responseHeader("x-hits")).toBe("7");
    expect(workerA.sharedData.getString("hits")).toBe("7");
  });

  it("cannot protect the very first write: a missing key has no CAS, as in Envoy", async () => {
    const shared = new SharedState();
    const workerA = await start({ shared });
    const workerB = await start({ shared });
    const a = workerA.newHttpStream();
    const b = workerB.newHttpStream();
    workerA.afterHostCall("proxy_get_shared_data", () => {
      b.callOnRequestHeaders(get("/count"), { endOfStream: true });
    });
    a.callOnRequestHeaders(get("/count"), { endOfStream: true });
    a.callOnResponseHeaders([[":status", "200"]]);
    b.callOnResponseHeaders([[":status", "200"]]);
    // Both read NOT_FOUND (cas 0) and cas 0 means "unconditional": one hit is lost.
    expect([a.responseHeader("x-hits"), b.responseHeader("x-hits")]).toEqual(["1", "1"]);
    expect(workerA.sharedData.getString("hits")).toBe("1");
  });
});
