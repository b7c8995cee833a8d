// The RPCs of apache.rocketmq.v2.MessagingService (service.proto), found
// from the gRPC request path "/apache.rocketmq.v2.MessagingService/<Method>".
export const SERVICE_PATH_PREFIX = "/apache.rocketmq.v2.MessagingService/";

export const enum Method {
  Unknown = 0,
  QueryRoute = 1,
  Heartbeat = 2,
  SendMessage = 3,
  QueryAssignment = 4,
  ReceiveMessage = 5,
  AckMessage = 6,
  ForwardMessageToDeadLetterQueue = 7,
  PullMessage = 8,
  UpdateOffset = 9,
  GetOffset = 10,
  QueryOffset = 11,
  EndTransaction = 12,
  Telemetry = 13,
  NotifyClientTermination = 14,
  ChangeInvisibleDuration = 15,
  RecallMessage = 16,
  SyncLiteSubscription = 17,
}

const NAMES: string[] = [
  "", "QueryRoute", "Heartbeat", "SendMessage", "QueryAssignment", "ReceiveMessage", "AckMessage",
  "ForwardMessageToDeadLetterQueue", "PullMessage", "UpdateOffset", "GetOffset", "QueryOffset", "EndTransaction",
  "Telemetry", "NotifyClientTermination", "ChangeInvisibleDuration", "RecallMessage", "SyncLiteSubscription",
];

export function methodName(m: Method): string {
  return NAMES[<i32>m];
}

// Method of a request path; Unknown for another service or an unknown RPC.
export function methodOfPath(path: string): Method {
  if (!path.startsWith(SERVICE_PATH_PREFIX)) return Method.Unknown;
  let name = path.substring(SERVICE_PATH_PREFIX.length);
  const q = name.indexOf("?");
  if (q >= 0) name = name.substring(0, q);
  for (let i = 1; i < NAMES.length; i++) if (NAMES[i] == name) return <Method>i;
  return Method.Unknown;
}

// Server-streaming or bidirectional RPCs: any number of response messages.
export function isStreaming(m: Method): bool {
  return m == Method.ReceiveMessage || m == Method.PullMessage || m == Method.Telemetry;
}
