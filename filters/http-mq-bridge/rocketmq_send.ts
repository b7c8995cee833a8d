// The RocketMQ 5 backend for one publish: one SendMessage call per record,
// all in flight at once, over proxy_grpc_call to the proxy's gRPC port.
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
// MESSAGE_PROPERTY_CONFLICT_WITH_TYPE (its type check comes first). Records
// refused so wait: after the last send ended, one QueryRoute for the topic
// tells a missing topic (404) from a real type conflict (400).
import { grpcCall, log, WasmResult } from "../../assembly/proxy";
import { queryRouteRequest } from "../../assembly/rocketmq/grpc/route";
import { Backend } from "./backend";
import { nextMessageId, uuid4 } from "./ids";
import { Outcome } from "./kafka_client";
import { Publish } from "./publish";
import { Cause, Failure } from "./record";
import { CODE_TYPE_CONFLICT, METHOD, QUERY_ROUTE, SERVICE, callFailure, grpcMetadata, messageProblem, missingTopic, outgoingMessage, sendAnswer, sendMessageRequest } from "./rocketmq_client";
import { PublishStream } from "./stream";

export class RocketMQSend extends Backend {
  // Per record: its SendMessage call (0: none), and whether that call ended.
  private tokens: u32[] = [];
  private ended: bool[] = [];
  private inFlight: i32 = 0;
  // Records refused with a type conflict, their outcome, and the QueryRoute that explains them.
  private conflicts: i32[] = [];
  private conflictOutcomes: Outcome[] = [];
  private routeToken: u32 = 0;
  private routeAsked: bool = false;

  constructor(stream: PublishStream, publish: Publish) {
    super(stream, publish);
  }

  // A record RocketMQ cannot carry fails the request before anything is sent.
  prepare(): Failure | null {
    const records = this.publish.records;
    for (let i = 0; i < records.length; i++) {
      const problem = messageProblem(records[i]);
      if (problem != null) return new Failure(400, problem, Cause.Malformed);
    }
    return null;
  }

  send(): void {
    const p = this.publish;
    const pubsub = p.pubsub!;
    const config = p.root.config;
    const now = p.root.nowMs();
    p.askedBroker = true;
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      r.messageId = nextMessageId(now);
      this.stream.sending(r);
      const m = outgoingMessage(r, pubsub, r.messageId, now, config.appId);
      const md = grpcMetadata(pubsub, config.clientId, uuid4(), now);
      const call = grpcCall(pubsub.cluster, SERVICE, METHOD, md, sendMessageRequest(m).buffer, <u32>pubsub.timeoutMs);
      this.ended.push(false);
      if (call.status != WasmResult.Ok) {
        log.error("http-mq-bridge: proxy_grpc_call to cluster " + pubsub.cluster + " failed: " + (<i32>call.status).toString());
        this.tokens.push(0);
        this.ended[i] = true;
        this.stream.settle(r, Outcome.failure(500, 0, "cluster " + pubsub.cluster + " is not usable"));
        continue;
      }
      this.tokens.push(call.token);
      this.inFlight++;
    }
  }

  onGrpcReceive(token: u32, message: Uint8Array): void {
    if (token != 0 && token == this.routeToken) {
      this.routeEnded(message);
      return;
    }
    const i = this.open(token);
    if (i < 0) return;
    const a = sendAnswer(message);
    const r = this.publish.records[i];
    if (a.outcome.ok) {
      if (a.messageId.length > 0) r.messageId = a.messageId;
      r.offset = a.outcome.offset;
    }
    if (a.code == CODE_TYPE_CONFLICT) {
      this.conflicts.push(i);
      this.conflictOutcomes.push(a.outcome);
    } else {
      this.stream.settle(r, a.outcome);
    }
    this.sendEnded();
  }

  onGrpcClose(token: u32, grpcStatus: u32, message: string): void {
    if (token != 0 && token == this.routeToken) {
      this.routeEnded(null);
      return;
    }
    const i = this.open(token);
    if (i < 0) return;
    this.stream.settle(this.publish.records[i], callFailure(grpcStatus, message));
    this.sendEnded();
  }

  // The index of the record whose call `token` is and has not ended, or -1.
  private open(token: u32): i32 {
    const i = this.tokens.indexOf(token);
    if (i < 0 || token == 0 || this.ended[i]) return -1;
    this.ended[i] = true;
    this.inFlight--;
    return i;
  }

  // After the last send: the conflicts wait for QueryRoute, if it can be asked.
  private sendEnded(): void {
    if (this.inFlight > 0 || this.conflicts.length == 0 || this.routeAsked) return;
    this.routeAsked = true;
    const p = this.publish;
    // Nobody to tell which it was.
    if (p.gone) {
      this.routeEnded(null);
      return;
    }
    const pubsub = p.pubsub!;
    const topic = p.records[this.conflicts[0]].topic;
    const md = grpcMetadata(pubsub, p.root.config.clientId, uuid4(), p.root.nowMs());
    const call = grpcCall(pubsub.cluster, SERVICE, QUERY_ROUTE, md, queryRouteRequest(pubsub.namespace, topic).buffer, <u32>pubsub.timeoutMs);
    if (call.status == WasmResult.Ok) this.routeToken = call.token;
    else this.routeEnded(null);
  }

  // TOPIC_NOT_FOUND turns the conflicts into 404s; any other answer keeps them.
  private routeEnded(response: Uint8Array | null): void {
    this.routeToken = 0;
    const records = this.publish.records;
    const missing = missingTopic(response, records[this.conflicts[0]].topic);
    for (let k = 0; k < this.conflicts.length; k++) this.stream.settle(records[this.conflicts[k]], missing != null ? missing : this.conflictOutcomes[k]);
  }
}
