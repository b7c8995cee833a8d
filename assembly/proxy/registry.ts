// Which context object answers which host context id.
//
// Root contexts are created in proxy_on_context_create (parent 0) from the
// factory registered for the plugin's root_id. A child context is only noted
// there: Envoy sends the same create call for network and HTTP streams, so
// the object is made by the first callback that reveals the kind
// (proxy_on_new_connection -> createStreamContext, proxy_on_request_headers
// -> createHttpContext). One root may thus serve both kinds.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
import { BaseContext } from "./context";
import { RootContext } from "./root_context";
import { StreamContext } from "./stream_context";
import { HttpContext } from "./http_context";

class Registration {
  rootId: string;
  factory: (id: u32) => RootContext;
  constructor(rootId: string, factory: (id: u32) => RootContext) {
    this.rootId = rootId;
    this.factory = factory;
  }
}

const registrations = new Array<Registration>();
const roots = new Map<u32, RootContext>();
const streams = new Map<u32, StreamContext>();
const https = new Map<u32, HttpContext>();
const pendingParents = new Map<u32, u32>();
// token -> id of the context that made the call (the host reports to the root)
const httpCallouts = new Map<u32, u32>();
const grpcCallouts = new Map<u32, u32>();

let effective: u32 = 0;

// rootId "" matches any plugin whose root_id has no exact registration.
export function registerRootContext(factory: (id: u32) => RootContext, rootId: string = ""): void {
  registrations.push(new Registration(rootId, factory));
}

// Called by the dispatcher on entry to every callback: the host has just made
// `id` the effective context.
export function enter(id: u32): void {
  effective = id;
}

export function makeEffective(id: u32): WasmResult {
  if (effective == id) return WasmResult.Ok;
  const r = host.setEffectiveContext(id);
  if (r == WasmResult.Ok) effective = id;
  return r;
}

export function currentContextId(): u32 {
  return effective;
}

function factoryFor(rootId: string): ((id: u32) => RootContext) | null {
  let fallback: ((id: u32) => RootContext) | null = null;
  for (let i = 0; i < registrations.length; i++) {
    const r = registrations[i];
    if (r.rootId == rootId) return r.factory;
    if (r.rootId == "" && fallback == null) fallback = r.factory;
  }
  return fallback;
}

export function createContext(id: u32, parentId: u32): void {
  if (parentId != 0) {
    pendingParents.set(id, parentId);
    return;
  }
  // Envoy may announce an existing root again (a second plugin with the same
  // root_id); keep the object and its state.
  if (roots.has(id)) return;
  const raw = host.getProperty(["plugin_root_id"]);
  const rootId = raw == null ? "" : String.UTF8.decode(raw);
  const factory = factoryFor(rootId);
  const root = factory == null ? new RootContext(id) : factory(id);
  root.rootId = rootId;
  roots.set(id, root);
}

export function rootContext(id: u32): RootContext | null {
  return roots.has(id) ? roots.get(id) : null;
}

function pendingRoot(id: u32): RootContext | null {
  if (!pendingParents.has(id)) return null;
  return rootContext(pendingParents.get(id));
}

export function streamContext(id: u32): StreamContext | null {
  if (streams.has(id)) return streams.get(id);
  const root = pendingRoot(id);
  if (root == null) return null;
  const ctx = root.createStreamContext(id);
  if (ctx != null) {
    pendingParents.delete(id);
    streams.set(id, ctx);
  }
  return ctx;
}

export function httpContext(id: u32): HttpContext | null {
  if (https.has(id)) return https.get(id);
  const root = pendingRoot(id);
  if (root == null) return null;
  const ctx = root.createHttpContext(id);
  if (ctx != null) {
    pendingParents.delete(id);
    https.set(id, ctx);
  }
  return ctx;
}

export function anyContext(id: u32): BaseContext | null {
  if (https.has(id)) return https.get(id);
  if (streams.has(id)) return streams.get(id);
  if (roots.has(id)) return roots.get(id);
  return null;
}

export function forget(id: u32): void {
  pendingParents.delete(id);
  https.delete(id);
  streams.delete(id);
  roots.delete(id);
}

// Envoy may run other callbacks of this VM inside a call that opens a
// connection (proxy_http_call to an internal listener runs that listener's
// network filters before returning). The host restores its current context
// afterwards, so the SDK must too, and the call belongs to the context that
// made it, not to whichever ran last.
export function beginReentrantCall(): u32 {
  return effective;
}

export function endReentrantCall(caller: u32): void {
  effective = caller;
}

export function noteHttpCallout(token: u32, caller: u32): void {
  httpCallouts.set(token, caller);
}

export function noteGrpcCallout(token: u32, caller: u32): void {
  grpcCallouts.set(token, caller);
}

// The context a call's callbacks go to; `done` drops the entry.
export function httpCalloutOwner(token: u32, fallback: u32, done: bool): u32 {
  if (!httpCallouts.has(token)) return fallback;
  const owner = httpCallouts.get(token);
  if (done) httpCallouts.delete(token);
  return owner;
}

export function grpcCalloutOwner(token: u32, fallback: u32, done: bool): u32 {
  if (!grpcCallouts.has(token)) return fallback;
  const owner = grpcCallouts.get(token);
  if (done) grpcCallouts.delete(token);
  return owner;
}
