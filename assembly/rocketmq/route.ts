// GET_ROUTEINFO_BY_TOPIC: the name server answers with TopicRouteData as
// JSON, whose brokerDatas[].brokerAddrs map broker ids to "host:port":
//   {"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911"},"brokerName":"b",
//     "cluster":"c",...}],"queueDatas":[...],...}
// fastjson leaves the Long keys unquoted (quoted when the client asked for
// acceptStandardJsonOnly). A sidecar rewrites those addresses so clients
// reach brokers only through it; it splices the new strings in and leaves
// every other byte of the body as the name server wrote it.
import { quoteJson } from "../common/json";
import { StrBuf } from "../common/strbuf";
import { RemotingCommand } from "./command";
import { scanArray, scanObject, stringAt } from "./fastjson";
import { GET_ROUTEINFO_BY_TOPIC } from "./request_codes";

export class BrokerAddress {
  constructor(
    public brokerName: string,
    public brokerId: string, // the map key as written: "0" is the master
    public address: string,
    public start: i32, // span of the address string literal in the body text
    public end: i32,
  ) {}
}

export class RouteResult {
  error: string | null = null;
  addresses: BrokerAddress[] = [];
  text: string = "";
  get ok(): bool {
    return this.error === null;
  }
}

// The topic of a GET_ROUTEINFO_BY_TOPIC request, or null.
export function readRouteRequestTopic(cmd: RemotingCommand): string | null {
  if (cmd.isResponse || cmd.code != GET_ROUTEINFO_BY_TOPIC) return null;
  return cmd.extFields.get("topic");
}

function fail(r: RouteResult, why: string): RouteResult {
  r.error = "route body: " + why;
  return r;
}

// Every broker address in a TopicRouteData body, in body order.
export function readRoute(body: Uint8Array): RouteResult {
  const r = new RouteResult();
  const text = String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length);
  r.text = text;
  const top = scanObject(text, 0);
  if (!top.ok) return fail(r, top.error!);
  const datas = top.find("brokerDatas");
  if (!datas || text.substring(datas.start, datas.end) == "null") return r;
  const list = scanArray(text, datas.start);
  if (!list.ok) return fail(r, "brokerDatas: " + list.error!);
  for (let i = 0; i < list.starts.length; i++) {
    const broker = scanObject(text, unchecked(list.starts[i]));
    if (!broker.ok) return fail(r, "brokerDatas[" + i.toString() + "]: " + broker.error!);
    const nameMember = broker.find("brokerName");
    const name = nameMember ? stringAt(text, nameMember.start, nameMember.end) : null;
    const addrs = broker.find("brokerAddrs");
    if (!addrs || text.substring(addrs.start, addrs.end) == "null") continue;
    const map = scanObject(text, addrs.start);
    if (!map.ok) return fail(r, "brokerAddrs: " + map.error!);
    for (let j = 0; j < map.members.length; j++) {
      const m = unchecked(map.members[j]);
      const addr = stringAt(text, m.start, m.end);
      if (addr === null) return fail(r, "brokerAddrs value is not a string");
      r.addresses.push(new BrokerAddress(name !== null ? name : "", m.key, addr, m.start, m.end));
    }
  }
  return r;
}

export class RouteRewrite {
  error: string | null = null;
  body: Uint8Array = new Uint8Array(0);
  replaced: i32 = 0;
  get ok(): bool {
    return this.error === null;
  }
}

// The body with the i-th address (readRoute order) replaced by newAddresses[i].
export function replaceRouteAddresses(body: Uint8Array, newAddresses: string[]): RouteRewrite {
  return splice(body, readRoute(body), newAddresses);
}

// The body with every broker address replaced by `address` (the sidecar).
export function rewriteRouteAddresses(body: Uint8Array, address: string): RouteRewrite {
  const route = readRoute(body);
  const n = route.ok ? route.addresses.length : 0;
  const all = new Array<string>(n);
  for (let i = 0; i < n; i++) unchecked((all[i] = address));
  return splice(body, route, all);
}

function splice(body: Uint8Array, route: RouteResult, newAddresses: string[]): RouteRewrite {
  const out = new RouteRewrite();
  if (!route.ok) {
    out.error = route.error;
    return out;
  }
  if (newAddresses.length != route.addresses.length) {
    out.error = "route body: " + route.addresses.length.toString() + " addresses, " +
      newAddresses.length.toString() + " replacements";
    return out;
  }
  out.replaced = route.addresses.length;
  if (out.replaced == 0) {
    out.body = body;
    return out;
  }
  const text = route.text;
  const b = new StrBuf(text.length + 32);
  let copied = 0;
  for (let i = 0; i < route.addresses.length; i++) {
    const a = unchecked(route.addresses[i]);
    b.slice(text, copied, a.start).str(quoteJson(unchecked(newAddresses[i])));
    copied = a.end;
  }
  b.slice(text, copied, text.length);
  out.body = Uint8Array.wrap(String.UTF8.encode(b.toString()));
  return out;
}
