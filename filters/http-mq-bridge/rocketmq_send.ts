// The RocketMQ side of one publish: one SendMessage call per record, all in
// flight at once, and the app's answer once every call has ended.
//
// Why one call per record and not one request with every message: the proxy
// turns a multi-message SendMessageRequest into a single MessageBatch for one
// queue and answers with one result for all of it, so per-entry failures
// (bulk, CloudEvents batch) could not be told apart, and every message of the
// request would land on the same queue.
//
// Envoy ends a successful unary call with onGrpcReceive only; a failed one
// (timeout, no connection, reset) with onGrpcClose and a gRPC status.
//
// A RocketMQ 5.3 proxy refuses a send to a topic that does not exist with
// MESSAGE_PROPERTY_CONFLICT_WITH_TYPE (its type check comes first). When a
// send fails so, one QueryRoute for the topic tells a missing topic (404)
// from a real type conflict (400) before the app is answered.
import { HeaderPair, getRandomBytes, grpcCall, log, WasmResult } from "../../assembly/proxy";
import { messageId } from "../../assembly/rocketmq/grpc/message_id";
import { OutgoingMessage } from "../../assembly/rocketmq/grpc/send_request";
import { failedEntriesBody } from "./bulk";
import { EventResult, batchResultsBody } from "./cloudevents";
import { PubsubConfig } from "./config";
import { Outcome } from "./kafka_client";
import { RestRecord } from "./rest";
import { queryRouteRequest } from "../../assembly/rocketmq/grpc/route";
import { CODE_TYPE_CONFLICT, METHOD, QUERY_ROUTE, SERVICE, callFailure, grpcMetadata, missingTopic, outgoingMessage, sendAnswer, sendMessageRequest } from "./rocketmq_client";

export const enum Shape {
  Single, // Dapr publish, CloudEvents binary/structured: 204
  Bulk, // Dapr bulk: 204, or 500 naming the failed entries
  Batch, // CloudEvents batch: 200 {"results": [...]}
}

// Per VM (one per worker): random, so workers and restarts do not collide.
let processBytes: Uint8Array | null = null;
let sequence: u32 = 0;

function nextMessageId(nowMs: i64): string {
  if (processBytes == null) processBytes = Uint8Array.wrap(getRandomBytes(8));
  return messageId(processBytes!, nowMs, sequence++);
}

export class Reply {
  // Set when every record failed: answered like any whole-request failure.
  failure: Outcome | null = null;
  status: u32 = 204;
  body: string = "";
  headers: HeaderPair[] = [];
}

export class RocketMQSend {
  private tokens: u32[] = [];
  private outcomes: Array<Outcome | null> = [];
  private messageIds: string[] = [];
  private pending: i32 = 0;
  // Messages refused with a type conflict, and the QueryRoute that explains them.
  private conflicts: i32[] = [];
  private routeToken: u32 = 0;
  private routeAsked: bool = false;
  private pubsub: PubsubConfig = new PubsubConfig();
  private topic: string = "";
  private clientId: string = "";
  private newId: () => string = () => "";

  // Builds every message first: a record RocketMQ cannot carry fails the
  // request (returned as the message of a 400) before anything is sent.
  static prepare(records: RestRecord[], pubsub: PubsubConfig, topic: string, nowMs: i64, bornHost: string, out: OutgoingMessage[]): string {
    for (let i = 0; i < records.length; i++) {
      const m = outgoingMessage(records[i], pubsub, topic, nextMessageId(nowMs), nowMs, bornHost);
      if (m.message == null) return records.length > 1 ? "[" + i.toString() + "] " + m.error : m.error;
      out.push(m.message!);
    }
    return "";
  }

  // Starts the calls; false when none could be started (the cluster is not
  // usable), in which case nothing is pending.
  start(messages: OutgoingMessage[], pubsub: PubsubConfig, clientId: string, nowMs: i64, newId: () => string): bool {
    this.pubsub = pubsub;
    this.clientId = clientId;
    this.newId = newId;
    if (messages.length > 0) this.topic = messages[0].topic;
    let started = 0;
    for (let i = 0; i < messages.length; i++) {
      const request = sendMessageRequest(messages[i]);
      const md = grpcMetadata(pubsub, clientId, newId(), nowMs);
      const r = grpcCall(pubsub.cluster, SERVICE, METHOD, md, request.buffer, <u32>pubsub.timeoutMs);
      this.messageIds.push(messages[i].messageId);
      if (r.status != WasmResult.Ok) {
        log.error("http-mq-bridge: proxy_grpc_call to cluster " + pubsub.cluster + " failed: " + (<i32>r.status).toString());
        this.tokens.push(0);
        this.outcomes.push(Outcome.failure(500, 0, "cluster " + pubsub.cluster + " is not usable"));
        continue;
      }
      started++;
      this.tokens.push(r.token);
      this.outcomes.push(null);
      this.pending++;
    }
    return started > 0;
  }

  // Each returns true when the app can be answered: every call has ended.
  received(token: u32, response: Uint8Array, nowMs: i64): bool {
    if (token != 0 && token == this.routeToken) return this.routeEnded(response);
    const i = this.open(token);
    if (i < 0) return false;
    const a = sendAnswer(response);
    if (a.outcome.ok && a.messageId.length > 0) this.messageIds[i] = a.messageId;
    if (a.code == CODE_TYPE_CONFLICT) this.conflicts.push(i);
    return this.settle(i, a.outcome, nowMs);
  }

  closed(token: u32, grpcStatus: u32, message: string, nowMs: i64): bool {
    if (token != 0 && token == this.routeToken) return this.routeEnded(null);
    const i = this.open(token);
    if (i < 0) return false;
    return this.settle(i, callFailure(grpcStatus, message), nowMs);
  }

  private routeEnded(response: Uint8Array | null): bool {
    this.routeToken = 0;
    const missing = missingTopic(response, this.topic);
    if (missing != null) for (let k = 0; k < this.conflicts.length; k++) this.outcomes[this.conflicts[k]] = missing;
    return true;
  }

  // After the last send: false while a QueryRoute is still to answer.
  private lastSendEnded(nowMs: i64): bool {
    if (this.conflicts.length == 0 || this.routeAsked) return true;
    this.routeAsked = true;
    const p = this.pubsub;
    const request = queryRouteRequest(p.namespace, this.topic);
    const r = grpcCall(p.cluster, SERVICE, QUERY_ROUTE, grpcMetadata(p, this.clientId, this.newId(), nowMs), request.buffer, <u32>p.timeoutMs);
    if (r.status != WasmResult.Ok) return true;
    this.routeToken = r.token;
    return false;
  }

  private open(token: u32): i32 {
    const i = this.tokens.indexOf(token);
    return i >= 0 && token != 0 && this.outcomes[i] == null ? i : -1;
  }

  private settle(i: i32, o: Outcome, nowMs: i64): bool {
    this.outcomes[i] = o;
    this.pending--;
    return this.pending == 0 && this.lastSendEnded(nowMs);
  }

  // After the last call ended (ids: entry or event ids, for Bulk and Batch).
  reply(shape: Shape, ids: string[], pubsub: string): Reply {
    const out = new Reply();
    let firstFailure: Outcome | null = null;
    let okCount = 0;
    for (let i = 0; i < this.outcomes.length; i++) {
      const o = this.outcomes[i]!;
      if (o.ok) okCount++;
      else if (firstFailure == null) firstFailure = o;
    }
    if (okCount == 0) {
      out.failure = firstFailure;
      return out;
    }
    if (shape == Shape.Single) return out;
    out.headers = [new HeaderPair("content-type", "application/json")];
    if (shape == Shape.Bulk) {
      const failed = new Array<string>(0);
      const errors = new Array<string>(0);
      for (let i = 0; i < this.outcomes.length; i++) {
        const o = this.outcomes[i]!;
        if (o.ok) continue;
        failed.push(ids[i]);
        errors.push("pubsub " + pubsub + ": " + o.message);
      }
      if (failed.length == 0) {
        out.headers = [];
        return out;
      }
      out.status = 500;
      out.body = failedEntriesBody("ERR_PUBSUB_PUBLISH_MESSAGE", failed, errors);
      return out;
    }
    const results = new Array<EventResult>(0);
    for (let i = 0; i < this.outcomes.length; i++) {
      const o = this.outcomes[i]!;
      const r = new EventResult();
      r.id = ids[i];
      if (o.ok) {
        r.messageId = this.messageIds[i];
        r.offset = o.offset;
      } else {
        r.status = o.status;
        r.error = o.message;
      }
      results.push(r);
    }
    out.status = 200;
    out.body = batchResultsBody(results);
    return out;
  }
}
