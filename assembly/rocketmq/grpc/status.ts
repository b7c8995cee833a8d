// apache.rocketmq.v2.Status {Code code = 1; string message = 2;} and the
// Code enum of definition.proto. Every MessagingService response carries its
// Status in field 1 (a oneof member in ReceiveMessage/PullMessage responses,
// optional in TelemetryCommand).
import { ProtoReader, ProtoWriter, WireType } from "../../common/protobuf";

export const CODE_OK: i32 = 20000;
export const CODE_FORBIDDEN: i32 = 40300;

const CODES: i32[] = [
  0, 20000, 30000, 40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009, 40010, 40011, 40012,
  40013, 40014, 40015, 40016, 40017, 40018, 40019, 40020, 40021, 40100, 40200, 40300, 40400, 40401, 40402, 40403,
  40404, 40800, 41300, 41301, 41302, 42800, 42900, 42901, 42902, 43100, 43101, 50000, 50001, 50002, 50100, 50400,
  50401, 50402, 50500, 50501, 50502, 60000,
];
const CODE_NAMES: string[] = [
  "CODE_UNSPECIFIED", "OK", "MULTIPLE_RESULTS", "BAD_REQUEST", "ILLEGAL_ACCESS_POINT", "ILLEGAL_TOPIC",
  "ILLEGAL_CONSUMER_GROUP", "ILLEGAL_MESSAGE_TAG", "ILLEGAL_MESSAGE_KEY", "ILLEGAL_MESSAGE_GROUP",
  "ILLEGAL_MESSAGE_PROPERTY_KEY", "INVALID_TRANSACTION_ID", "ILLEGAL_MESSAGE_ID", "ILLEGAL_FILTER_EXPRESSION",
  "ILLEGAL_INVISIBLE_TIME", "ILLEGAL_DELIVERY_TIME", "INVALID_RECEIPT_HANDLE", "MESSAGE_PROPERTY_CONFLICT_WITH_TYPE",
  "UNRECOGNIZED_CLIENT_TYPE", "MESSAGE_CORRUPTED", "CLIENT_ID_REQUIRED", "ILLEGAL_POLLING_TIME", "ILLEGAL_OFFSET",
  "ILLEGAL_LITE_TOPIC", "INVALID_CLIENT_PROPERTIES", "UNAUTHORIZED", "PAYMENT_REQUIRED", "FORBIDDEN", "NOT_FOUND",
  "MESSAGE_NOT_FOUND", "TOPIC_NOT_FOUND", "CONSUMER_GROUP_NOT_FOUND", "OFFSET_NOT_FOUND", "REQUEST_TIMEOUT",
  "PAYLOAD_TOO_LARGE", "MESSAGE_BODY_TOO_LARGE", "MESSAGE_BODY_EMPTY", "PRECONDITION_FAILED", "TOO_MANY_REQUESTS",
  "LITE_TOPIC_QUOTA_EXCEEDED", "LITE_SUBSCRIPTION_QUOTA_EXCEEDED", "REQUEST_HEADER_FIELDS_TOO_LARGE",
  "MESSAGE_PROPERTIES_TOO_LARGE", "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "HA_NOT_AVAILABLE", "NOT_IMPLEMENTED",
  "PROXY_TIMEOUT", "MASTER_PERSISTENCE_TIMEOUT", "SLAVE_PERSISTENCE_TIMEOUT", "UNSUPPORTED", "VERSION_UNSUPPORTED",
  "VERIFY_FIFO_MESSAGE_UNSUPPORTED", "FAILED_TO_CONSUME_MESSAGE",
];

// The enum name of a code as definition.proto spells it; the number for
// codes this table does not know.
export function codeName(code: i32): string {
  for (let i = 0; i < CODES.length; i++) if (unchecked(CODES[i]) == code) return unchecked(CODE_NAMES[i]);
  return code.toString();
}

export class Status {
  code: i32 = 0;
  message: string = "";
}

export function readStatus(r: ProtoReader): Status {
  const s = new Status();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Varint) s.code = r.int32();
    else if (r.field == 2 && r.wireType == WireType.Len) s.message = r.string();
    else r.skip();
  }
  return s;
}

// The Status in field 1 of a response message; null when the message has
// none (e.g. a ReceiveMessageResponse carrying a message) or does not parse.
export function responseStatus(msg: Uint8Array): Status | null {
  const r = ProtoReader.of(msg);
  let status: Status | null = null;
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      const s = readStatus(sub);
      if (!sub.ok) return null;
      status = s;
    } else {
      r.skip();
    }
  }
  return r.ok ? status : null;
}

// A response whose only field is Status{code, message}: valid for every
// MessagingService response type, since all carry Status in field 1.
export function statusResponse(code: i32, message: string): Uint8Array {
  const s = new ProtoWriter();
  s.int32(1, code);
  s.string(2, message);
  const w = new ProtoWriter();
  w.message(1, s);
  return w.toBytes();
}
