// Byte-level facts of the Kafka protocol guide checked on fixed vectors:
// varints, framing, header versions, API and error names, and a flexible
// request laid out by hand.
import { beforeAll, describe, expect, it } from "vitest";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";
import { SCHEMAS } from "./schema.gen.ts";

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });
const b = (h: string) => Uint8Array.from(Buffer.from(h.replace(/ /g, ""), "hex"));

describe("reader and writer", () => {
  it("zigzag varints and unsigned varints match the protocol guide", () => {
    const cases: [string, string, string][] = [
      ["v", "0", "00"], ["v", "-1", "01"], ["v", "1", "02"], ["v", "63", "7e"], ["v", "-64", "7f"], ["v", "64", "8001"],
      ["v", "2147483647", "feffffff0f"], ["v", "-2147483648", "ffffffff0f"], ["uv", "300", "ac02"], ["uv", "0", "00"],
      ["uv", "4294967295", "ffffffff0f"], ["vl", "-9223372036854775808", "ffffffffffffffffff01"], ["vl", "1", "02"],
      ["i16", "-2", "fffe"], ["i32", "1", "00000001"], ["i64", "-1", "ffffffffffffffff"],
    ];
    for (const [op, val, bytes] of cases) {
      expect(hex(codec.writeOps(op, val)), `${op} ${val}`).toBe(bytes);
      expect(codec.readOps(b(bytes), op), `${op} ${bytes}`).toBe(val);
    }
  });

  it("short and overlong input set a sticky error and never trap", () => {
    expect(codec.readOps(b("0001"), "i32")).toBe("ERR:short input");
    expect(codec.readOps(b("ffffffffff01"), "uv")).toBe("ERR:varint too long");
    expect(codec.readOps(b("ffffffff1f"), "uv")).toBe("ERR:varint too long");
    expect(codec.readOps(b("80"), "uv")).toBe("ERR:short input");
    // after the first error every read returns zero and the first reason stays
    expect(codec.readOps(b("01"), "i16 u8 uv")).toBe("ERR:short input");
    expect(codec.readOps(b(""), "u8 i64 vl")).toBe("ERR:short input");
  });
});

describe("framing", () => {
  it("reports complete, incomplete and invalid frames", () => {
    expect(codec.frameLength(b("000000"), 1000)).toBe(0);
    expect(codec.frameLength(b("00000002 01"), 1000)).toBe(0);
    expect(codec.frameLength(b("00000002 0102 03"), 1000)).toBe(6);
    expect(codec.frameLength(b("00000000"), 1000)).toBe(4);
    expect(codec.frameLength(b("ffffffff"), 1000)).toBe(-1);
    expect(codec.frameLength(b("000003e9"), 1000)).toBe(-1);
  });

  it("peeks api key, version and correlation id without the body", () => {
    expect(codec.peek(b("00001000 0012 0003 0000002a"))).toBe("18,3,42");
    expect(codec.peek(b("00001000 0012 0003 0000"))).toBe("");
  });

  it("chooses header versions per API and version", () => {
    // request header, response header, first flexible version
    expect(codec.headerVersions(18, 3)).toBe("2,0,3"); // ApiVersions responses keep header v0
    expect(codec.headerVersions(18, 2)).toBe("1,0,3");
    expect(codec.headerVersions(0, 9)).toBe("2,1,9");
    expect(codec.headerVersions(0, 8)).toBe("1,0,9");
    expect(codec.headerVersions(3, 9)).toBe("2,1,9");
    expect(codec.headerVersions(1, 12)).toBe("2,1,12");
    expect(codec.headerVersions(60, 0)).toBe("2,1,0");
    expect(codec.headerVersions(7, 0)).toBe("0,0,3"); // ControlledShutdown v0
    expect(codec.headerVersions(17, 1)).toBe("1,0,32767"); // SaslHandshake never flexible
    expect(codec.headerVersions(999, 0)).toBe("-1,-1,-1");
  });
});

describe("names", () => {
  it("names every API key and error code", () => {
    expect(codec.apiName(0)).toBe("Produce");
    expect(codec.apiName(18)).toBe("ApiVersions");
    expect(codec.apiName(60)).toBe("DescribeCluster");
    expect(codec.apiName(74)).toBe("ListConfigResources");
    expect(codec.apiName(92)).toBe("DeleteShareGroupOffsets");
    expect(codec.apiName(94)).toBe("UnregisterController");
    expect(codec.apiName(95)).toBe("Unknown");
    for (let k = 0; k <= 94; k++) expect(codec.apiName(k)).not.toBe("Unknown");
    // every API with a codec is named as in its message JSON
    for (const [api, messages] of Object.entries(SCHEMAS)) expect(codec.apiName(messages[api + "Request"].apiKey)).toBe(api);
    expect(codec.errorCodeName(0)).toBe("NONE");
    expect(codec.errorCodeName(3)).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(codec.errorCodeName(29)).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(codec.errorCodeName(30)).toBe("GROUP_AUTHORIZATION_FAILED");
    expect(codec.errorCodeName(31)).toBe("CLUSTER_AUTHORIZATION_FAILED");
    expect(codec.errorCodeName(35)).toBe("UNSUPPORTED_VERSION");
    expect(codec.errorCodeName(44)).toBe("POLICY_VIOLATION");
    expect(codec.errorCodeName(89)).toBe("THROTTLING_QUOTA_EXCEEDED");
    expect(codec.errorCodeName(-1)).toBe("UNKNOWN_SERVER_ERROR");
    expect(codec.errorCodeName(999)).toBe("UNKNOWN_ERROR_999");
  });
});

describe("hand-laid flexible frames", () => {
  it("ApiVersions v3 request: header v2 keeps an int16 client id, body uses compact strings", () => {
    const payload =
      "0012 0003 00000001" + "0009" + Buffer.from("my-client").toString("hex") + "00" +
      "12" + Buffer.from("apache-kafka-java").toString("hex") + "06" + Buffer.from("3.7.0").toString("hex") + "00";
    const frame = b("0000002d" + payload);
    expect(frame.length - 4).toBe(0x2d);
    expect(hex(codec.roundTripRequest(frame))).toBe(hex(frame));
    expect(JSON.parse(codec.describeRequest(frame))).toEqual({
      header: { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "my-client" },
      body: { ClientSoftwareName: "apache-kafka-java", ClientSoftwareVersion: "3.7.0" },
    });
  });

  it("Fetch v12 request: a known tagged field (ClusterId, tag 0) and an unknown one survive", () => {
    const body =
      "ffffffff 000001f4 00000001 7fffffff 00 00000000 ffffffff" + // replica, wait, min, max, isolation, session, epoch
      "01 01 01" + // topics [], forgotten [], rack "" (compact)
      "02" + "00 03 03 6331" + "05 02 abcd"; // two tags: ClusterId = "c1", tag 5 = raw abcd
    const payload = "0001 000c 00000007 ffff 00" + body; // header v2, null client id
    const frame = b((payload.replace(/ /g, "").length / 2).toString(16).padStart(8, "0") + payload);
    expect(hex(codec.roundTripRequest(frame))).toBe(hex(frame));
    expect(codec.lastDecodeError()).toBe("");
    const d = JSON.parse(codec.describeRequest(frame)).body;
    expect(d.ClusterId).toBe("c1");
    expect(d._unknownTags).toEqual([[5, "abcd"]]);
  });

  it("a null in a non-nullable field is an error", () => {
    // Metadata v9 request: topics [ {TopicName null} ] -- name is nullable only from v10
    const payload = "0003 0009 00000001 ffff 00" + "02 00 00" + "00 00 00";
    const frame = b((payload.replace(/ /g, "").length / 2).toString(16).padStart(8, "0") + payload);
    expect(codec.roundTripRequest(frame).length).toBe(0);
    expect(codec.lastDecodeError()).toBe("null string");
  });

  it("unsupported versions and unknown APIs are not errors: the frame passes through", () => {
    const payload = "0000 0002 00000001 ffff" + "0001 00000000 00000000"; // Produce v2, removed in Kafka 4
    const frame = b((payload.replace(/ /g, "").length / 2).toString(16).padStart(8, "0") + payload);
    expect(codec.roundTripRequest(frame).length).toBe(0);
    expect(codec.lastDecodeError()).toBe("no codec");
    expect(JSON.parse(codec.describeRequest(frame)).body).toBe(null);
  });
});
