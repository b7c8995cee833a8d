// A minimal RocketMQ remoting client for health checks and admin calls of the
// test stack (no JVM start per call). Frames: int32 total length (excluding
// itself), int32 (serialize type << 24 | header length), JSON header, body.
// Only the JSON header serialization is spoken; responses in JSON are decoded.
import { Socket } from "node:net";

export const RequestCode = {
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  GET_MAX_OFFSET: 30,
} as const;

/** The remoting protocol version we announce: MQVersion.CURRENT_VERSION of RocketMQ 5.3.3. */
export const REMOTING_VERSION = 479;

export interface RemotingResponse {
  code: number;
  remark?: string;
  opaque: number;
  extFields: Record<string, string>;
  body: Buffer;
}

let nextOpaque = 1;

export function encodeRequest(code: number, extFields: Record<string, string | number | boolean>, body?: Buffer, opaque = nextOpaque++): Buffer {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(extFields)) fields[k] = String(v);
  const header = Buffer.from(
    JSON.stringify({ code, flag: 0, language: "JAVA", opaque, serializeTypeCurrentRPC: "JSON", version: REMOTING_VERSION, extFields: fields }),
    "utf8",
  );
  const b = body ?? Buffer.alloc(0);
  const frame = Buffer.alloc(8 + header.length + b.length);
  frame.writeInt32BE(4 + header.length + b.length, 0);
  frame.writeInt32BE(header.length & 0xffffff, 4); // serialize type 0 = JSON
  header.copy(frame, 8);
  b.copy(frame, 8 + header.length);
  return frame;
}

export function decodeResponse(frame: Buffer): RemotingResponse {
  const headerWord = frame.readInt32BE(0);
  const serializeType = (headerWord >>> 24) & 0xff;
  const headerLen = headerWord & 0xffffff;
  if (serializeType !== 0) throw new Error(`remoting response uses serialize type ${serializeType}, only JSON (0) is decoded`);
  const header = JSON.parse(frame.subarray(4, 4 + headerLen).toString("utf8"));
  return {
    code: header.code,
    remark: header.remark,
    opaque: header.opaque,
    extFields: header.extFields ?? {},
    body: frame.subarray(4 + headerLen),
  };
}

/** fastjson writes integer map keys unquoted (`{0:"127.0.0.1:10911"}`); quote them so JSON.parse accepts the text. */
export function parseFastjson<T = any>(text: string): T {
  return JSON.parse(text.replace(/([{,]\s*)(-?\d+)\s*:/g, '$1"$2":'));
}

/** Sends one request to `addr` ("host:port") on a fresh connection and returns the response. */
export function remotingRequest(
  addr: string,
  code: number,
  extFields: Record<string, string | number | boolean> = {},
  opts: { body?: Buffer; timeoutMs?: number } = {},
): Promise<RemotingResponse> {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  const opaque = nextOpaque++;
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let buf = Buffer.alloc(0);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(opts.timeoutMs ?? 5000, () => fail(new Error(`remoting request ${code} to ${addr} timed out`)));
    sock.once("error", fail);
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readInt32BE(0);
        if (buf.length < 4 + len) return;
        const frame = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        let resp: RemotingResponse;
        try {
          resp = decodeResponse(frame);
        } catch (e) {
          return fail(e as Error);
        }
        if (resp.opaque !== opaque) continue; // a server-initiated request; not ours
        sock.end();
        sock.destroy();
        return resolve(resp);
      }
    });
    sock.connect(port, host, () => sock.write(encodeRequest(code, extFields, opts.body, opaque)));
  });
}

export interface ClusterInfo {
  /** brokerName -> { brokerId -> address } */
  brokers: Record<string, Record<string, string>>;
  /** clusterName -> brokerNames */
  clusters: Record<string, string[]>;
}

/** GET_BROKER_CLUSTER_INFO against a name server. */
export async function clusterInfo(namesrv: string): Promise<ClusterInfo> {
  const r = await remotingRequest(namesrv, RequestCode.GET_BROKER_CLUSTER_INFO);
  if (r.code !== 0) throw new Error(`GET_BROKER_CLUSTER_INFO from ${namesrv}: code ${r.code} ${r.remark ?? ""}`);
  const info = parseFastjson<any>(r.body.toString("utf8"));
  const brokers: ClusterInfo["brokers"] = {};
  for (const [name, data] of Object.entries<any>(info.brokerAddrTable ?? {})) brokers[name] = data.brokerAddrs ?? {};
  return { brokers, clusters: info.clusterAddrTable ?? {} };
}

export interface TopicRoute {
  brokerDatas: { brokerName: string; cluster: string; brokerAddrs: Record<string, string> }[];
  queueDatas: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[];
}

/** GET_ROUTEINFO_BY_TOPIC against a name server (or a 5.x proxy's remoting port). */
export async function topicRoute(addr: string, topic: string): Promise<TopicRoute> {
  const r = await remotingRequest(addr, RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
  if (r.code !== 0) throw new Error(`GET_ROUTEINFO_BY_TOPIC ${topic} from ${addr}: code ${r.code} ${r.remark ?? ""}`);
  return parseFastjson<TopicRoute>(r.body.toString("utf8"));
}

/** UPDATE_AND_CREATE_TOPIC sent to a broker's remoting address. */
export async function createTopic(brokerAddr: string, topic: string, queues = 4): Promise<void> {
  const r = await remotingRequest(brokerAddr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic,
    defaultTopic: "TBW102",
    readQueueNums: queues,
    writeQueueNums: queues,
    perm: 6,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
  });
  if (r.code !== 0) throw new Error(`UPDATE_AND_CREATE_TOPIC ${topic} on ${brokerAddr}: code ${r.code} ${r.remark ?? ""}`);
}

/** Messages a broker holds in a topic: the sum of its queues' max offsets (GET_MAX_OFFSET). */
export async function storedMessages(brokerAddr: string, topic: string, queues: number): Promise<number> {
  let sum = 0;
  for (let q = 0; q < queues; q++) {
    const r = await remotingRequest(brokerAddr, RequestCode.GET_MAX_OFFSET, { topic, queueId: q });
    if (r.code !== 0) throw new Error(`GET_MAX_OFFSET ${topic}/${q} on ${brokerAddr}: code ${r.code} ${r.remark ?? ""}`);
    sum += Number(r.extFields.offset);
  }
  return sum;
}
