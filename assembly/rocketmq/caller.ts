// Who a RocketMQ request says it comes from, for the principals of a policy
// (Identity.user, clientId, group): the AccessKey a client signs with, its
// client id, and the producer or consumer group of the request.
//
// Neither protocol proves these to the sidecar: the signature is checked
// only by a broker or proxy that has the secret key (RocketMQ ACL with
// authentication on), and ids and groups are whatever the client writes. A
// rule that names them trusts the client, or the server's authentication.
//
// Remoting: a signing client (AclClientRPCHook) adds header fields
// "AccessKey" and "Signature" to every request. The client id is in a
// heartbeat's body ("clientID") and in a few requests about the client.
// gRPC: the "authorization" metadata, as RocketMQ's proxy parses it:
//   MQv2-HMAC-SHA1 Credential=<AccessKey>[/...], SignedHeaders=x-mq-date-time, Signature=<hex>
// and the client id in "x-mq-client-id".
import { ExtFields } from "./ext_fields";
import { scanObject, skipWs, stringAt } from "./fastjson";
import { isBlank, Requirements, RESOURCE_GROUP } from "./authorization";
import {
  CHECK_CLIENT_CONFIG, END_TRANSACTION, HEART_BEAT, LOCK_BATCH_MQ, QUERY_ASSIGNMENT, SEND_BATCH_MESSAGE, SEND_MESSAGE,
  SEND_MESSAGE_V2, SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2, UNLOCK_BATCH_MQ, UNREGISTER_CLIENT,
} from "./request_codes";

export const ACCESS_KEY_FIELD = "AccessKey";
export const GRPC_AUTHORIZATION = "authorization";
export const GRPC_CLIENT_ID = "x-mq-client-id";

export class Caller {
  accessKey: string = ""; // "" when the request is not signed
  clientId: string = "";
  group: string = ""; // the producer group of a send, else the request's first group
}

// The caller of a remoting request; `reqs` are its requirements
// (authorization_remoting.ts), whose first group is the consumer group.
export function remotingCaller(code: i32, ext: ExtFields, body: Uint8Array, reqs: Requirements | null): Caller {
  const c = new Caller();
  c.accessKey = nonBlank(ext.get(ACCESS_KEY_FIELD));
  if (code == HEART_BEAT) c.clientId = bodyString(body, "clientID");
  else if (code == UNREGISTER_CLIENT) c.clientId = nonBlank(ext.get("clientID"));
  else if (code == LOCK_BATCH_MQ || code == UNLOCK_BATCH_MQ || code == QUERY_ASSIGNMENT || code == CHECK_CLIENT_CONFIG) {
    c.clientId = bodyString(body, "clientId");
  }
  if (code == SEND_MESSAGE_V2 || code == SEND_BATCH_MESSAGE || code == SEND_REPLY_MESSAGE_V2) c.group = nonBlank(ext.get("a"));
  else if (code == SEND_MESSAGE || code == SEND_REPLY_MESSAGE || code == END_TRANSACTION) c.group = nonBlank(ext.get("producerGroup"));
  if (c.group.length == 0 && reqs !== null) {
    for (let i = 0; i < reqs.items.length; i++) {
      const it = unchecked(reqs.items[i]);
      if (it.type == RESOURCE_GROUP) {
        c.group = it.name;
        break;
      }
    }
  }
  if (c.group.length == 0 && code == UNREGISTER_CLIENT) c.group = nonBlank(ext.get("producerGroup"));
  return c;
}

// The AccessKey of a gRPC "authorization" value, or "" when it names none.
export function grpcAccessKey(authorization: string): string {
  const space = authorization.indexOf(" ");
  if (space < 0) return "";
  const items = authorization.substring(space + 1).split(",");
  for (let i = 0; i < items.length; i++) {
    const item = unchecked(items[i]).trim();
    const eq = item.indexOf("=");
    if (eq < 0 || item.substring(0, eq) != "Credential") continue;
    const credential = item.substring(eq + 1);
    const slash = credential.indexOf("/");
    return nonBlank(slash < 0 ? credential : credential.substring(0, slash));
  }
  return "";
}

function nonBlank(s: string | null): string {
  return s === null || isBlank(s) ? "" : s;
}

// A top-level string member of a JSON body, "" when absent or unreadable.
function bodyString(body: Uint8Array, key: string): string {
  const text = String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length);
  const top = scanObject(text, 0);
  if (!top.ok || skipWs(text, top.end) != text.length) return "";
  const m = top.find(key);
  return m === null ? "" : nonBlank(stringAt(text, m.start, m.end));
}
