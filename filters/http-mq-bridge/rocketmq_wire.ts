// Test support for the bridge's RocketMQ emulator tests: the gRPC messages
// of RocketMQ 5, decoded and encoded with protobufjs from the proto files
// rocketmq-client-nodejs ships (never with the module's own codec).
import { createRequire } from "node:module";
import protobuf from "protobufjs";
import { expect } from "vitest";

const require = createRequire(import.meta.url);
const PROTO_ROOT = require.resolve("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto").replace(/apache\/rocketmq\/v2\/service\.proto$/, "");

export interface RocketMQTypes {
  SendMessageRequest: protobuf.Type;
  SendMessageResponse: protobuf.Type;
  QueryRouteRequest: protobuf.Type;
  QueryRouteResponse: protobuf.Type;
}

export async function loadRocketMQTypes(): Promise<RocketMQTypes> {
  const root = new protobuf.Root();
  // Imports name paths from the proto folder (apache/rocketmq/v2/...); google/protobuf/* are built in.
  root.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : PROTO_ROOT + target);
  await root.load("apache/rocketmq/v2/service.proto");
  return {
    SendMessageRequest: root.lookupType("apache.rocketmq.v2.SendMessageRequest"),
    SendMessageResponse: root.lookupType("apache.rocketmq.v2.SendMessageResponse"),
    QueryRouteRequest: root.lookupType("apache.rocketmq.v2.QueryRouteRequest"),
    QueryRouteResponse: root.lookupType("apache.rocketmq.v2.QueryRouteResponse"),
  };
}

/** The one message of a SendMessage call, its body as a Buffer. */
export function decodeSendMessage(types: RocketMQTypes, call: { message?: Uint8Array }) {
  const req = types.SendMessageRequest.toObject(types.SendMessageRequest.decode(call.message!), { longs: Number, enums: String, bytes: Buffer, defaults: true }) as any;
  expect(req.messages).toHaveLength(1);
  const m = req.messages[0];
  m.body = Buffer.from(m.body);
  return m;
}

// RocketMQ 5 status codes the tests answer with.
export const RocketMQCode = { OK: 20000, MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: 40014, ILLEGAL_MESSAGE_PROPERTY_KEY: 40007, FORBIDDEN: 40300, TOPIC_NOT_FOUND: 40402, MESSAGE_BODY_TOO_LARGE: 41301, TOO_MANY_REQUESTS: 42900, PROXY_TIMEOUT: 50400 };

/** A SendMessageResponse as the proxy answers: a failed request carries only the top-level status. */
export function sendAnswer(types: RocketMQTypes, code: number, message = "", entries: { code: number; messageId?: string; offset?: number }[] = []): Uint8Array {
  return types.SendMessageResponse.encode(types.SendMessageResponse.fromObject({
    status: { code, message },
    entries: entries.map((e) => ({ status: { code: e.code, message: "" }, messageId: e.messageId ?? "", offset: e.offset ?? 0 })),
  })).finish();
}
