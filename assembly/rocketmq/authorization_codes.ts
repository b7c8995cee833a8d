// Every request code of RocketMQ 5.3 remoting (RequestCode.java) and what it
// asks to do: the resources it names, where in the request they are, and the
// action on them. The facts come from RocketMQ's own authorization (ACL 2.0):
// DefaultAuthorizationContextBuilder special-cases some codes and reads the
// rest from the @RocketMQAction/@RocketMQResource annotations of the request
// header classes. Where RocketMQ 5.3 checks nothing (no annotation, a header
// without resource fields, resources only in the body) the mesh still judges
// the request; those parts are marked MESH and explained in the note.
//
// Kinds:
//   RESOURCES  judged by the topics and groups it names (header or body)
//   CLUSTER    names no topic or group: judged as the cluster (admin, broker
//              and controller internals, whole-broker exports)
//   LISTING    names nothing; the answer lists topics or groups and is
//              filtered to what the caller may see (listing.ts)
//   UNSERVED   defined, but no 5.3 server (name server, broker, proxy,
//              controller) handles it: refused like an unknown code
// A code missing from this table is unknown and refused.
import {
  ACTION_CREATE, ACTION_DELETE, ACTION_GET, ACTION_PUB, ACTION_SUB, ACTION_UPDATE, RESOURCE_GROUP, RESOURCE_TOPIC,
} from "./authorization";

export const KIND_RESOURCES: u8 = 1;
export const KIND_CLUSTER: u8 = 2;
export const KIND_LISTING: u8 = 3;
export const KIND_UNSERVED: u8 = 4;

// How a header field is read.
export const REQUIRED: u8 = 1; // absent or blank: unreadable (RocketMQ: @CFNotNull, or a special case)
export const RETRY_AS_GROUP: u8 = 2; // topic "%RETRY%g" is judged as group g, same actions; a group "%RETRY%g" as g
export const RETRY_GROUP_SUB: u8 = 4; // topic "%RETRY%g" is judged as group g, Sub instead of Pub
export const SKIP_RETRY: u8 = 8; // a retry topic is not judged: its group is, by another field
export const SPLIT_SEMICOLON: u8 = 16; // a ";"-separated list of names
export const SPLIT_COMMA: u8 = 32; // a ","-separated list of names
export const MESH: u8 = 64; // RocketMQ 5.3 does not check it; the mesh does

// Resources in the body (authorization_bodies.ts).
export const BODY_NONE: u8 = 0;
export const BODY_HEARTBEAT: u8 = 1; // consumerDataSet[].groupName, [].subscriptionDataSet[].topic
export const BODY_LOCK_BATCH: u8 = 2; // consumerGroup, mqSet[].topic
export const BODY_BATCH_ACK: u8 = 3; // acks[].c (consumerGroup), acks[].t (topic)
export const BODY_TOPIC_CONFIGS: u8 = 4; // topicConfigList[].topicName
export const BODY_GROUP_CONFIG: u8 = 5; // groupName
export const BODY_GROUP_CONFIGS: u8 = 6; // groupConfigList[].groupName
export const BODY_TOPIC_GROUP: u8 = 7; // topic, consumerGroup
export const BODY_CHECK_CLIENT: u8 = 8; // group, subscriptionData.topic

// What the answer lists, for LISTING codes and judged codes whose answer is
// a list (listing.ts filters it).
export const ANSWER_NONE: u8 = 0;
export const ANSWER_TOPIC_LIST: u8 = 1; // TopicList {"topicList":[...],"brokerAddr":...}
export const ANSWER_GROUP_LIST: u8 = 2; // GroupList {"groupList":[...]}

// Who serves the code in RocketMQ 5.3.
export const NAMESRV: u8 = 1;
export const BROKER: u8 = 2;
export const PROXY: u8 = 4; // the cluster-mode proxy's remoting port
export const CONTROLLER: u8 = 8;
export const CLIENT: u8 = 16; // a server's request to a client (clients answer it)

export class FieldRule {
  constructor(public key: string, public type: u8, public actions: u8, public flags: u8) {}
}

export class CodeRule {
  fields: FieldRule[] = [];
  body: u8 = BODY_NONE;
  bodyActions: u8 = 0;
  bodyMeshOnly: bool = false;
  answer: u8 = ANSWER_NONE;
  clusterActions: u8 = 0;
  clusterKey: string = ""; // header field naming the cluster, if any
  clusterMeshOnly: bool = false;

  constructor(public code: i32, public kind: u8, public servedBy: u8, public note: string) {}

  topic(key: string, actions: u8, flags: u8 = REQUIRED | RETRY_AS_GROUP): CodeRule {
    this.fields.push(new FieldRule(key, RESOURCE_TOPIC, actions, flags));
    return this;
  }

  group(key: string, actions: u8, flags: u8 = REQUIRED): CodeRule {
    this.fields.push(new FieldRule(key, RESOURCE_GROUP, actions, flags));
    return this;
  }

  withBody(body: u8, actions: u8, meshOnly: bool): CodeRule {
    this.body = body;
    this.bodyActions = actions;
    this.bodyMeshOnly = meshOnly;
    return this;
  }

  // Also judged as the cluster (named by `key` when the header has it).
  asCluster(actions: u8, key: string = "", meshOnly: bool = false): CodeRule {
    this.clusterActions = actions;
    this.clusterKey = key;
    this.clusterMeshOnly = meshOnly;
    return this;
  }

  answers(answer: u8): CodeRule {
    this.answer = answer;
    return this;
  }
}

const RULES: CodeRule[] = [];
let INDEX: Map<i32, CodeRule> | null = null;

function on(code: i32, servedBy: u8, note: string = ""): CodeRule {
  const r = new CodeRule(code, KIND_RESOURCES, servedBy, note);
  RULES.push(r);
  return r;
}

function cluster(code: i32, servedBy: u8, actions: u8, meshOnly: bool, note: string = "", key: string = ""): CodeRule {
  const r = new CodeRule(code, KIND_CLUSTER, servedBy, note);
  RULES.push(r);
  return r.asCluster(actions, key, meshOnly);
}

function listing(code: i32, servedBy: u8, answer: u8, note: string): CodeRule {
  const r = new CodeRule(code, KIND_LISTING, servedBy, note);
  RULES.push(r);
  return r.answers(answer);
}

function unserved(code: i32, note: string): void {
  RULES.push(new CodeRule(code, KIND_UNSERVED, 0, note));
}

const PUB = ACTION_PUB;
const SUB = ACTION_SUB;
const CREATE = ACTION_CREATE;
const UPDATE = ACTION_UPDATE;
const DELETE = ACTION_DELETE;
const GET = ACTION_GET;
const REQ = REQUIRED;
const OPT: u8 = 0;
const OPT_RETRY = RETRY_AS_GROUP;
const REQ_RETRY = REQUIRED | RETRY_AS_GROUP;

const NOT_SERVED = "no RocketMQ 5.3 server handles it";
const SUB_SPECIAL = "RocketMQ's builder special-cases it";
const ADMIN_MESH = "cluster administration; RocketMQ 5.3 checks nothing for it";
const EXPORT_MESH = "every topic's or group's metadata at once (slave sync, metadata export); RocketMQ 5.3 checks nothing for it";
const LIST_MESH = "RocketMQ 5.3 checks nothing for it";

function build(): void {
  on(10, BROKER | PROXY, SUB_SPECIAL).topic("topic", PUB, REQUIRED | RETRY_GROUP_SUB); // SEND_MESSAGE
  on(11, BROKER | PROXY, SUB_SPECIAL).topic("topic", SUB, REQUIRED | SKIP_RETRY).group("consumerGroup", SUB, REQ_RETRY); // PULL_MESSAGE
  on(12, BROKER, SUB_SPECIAL).topic("topic", SUB | GET, REQ); // QUERY_MESSAGE
  unserved(13, NOT_SERVED); // QUERY_BROKER_OFFSET
  on(14, BROKER | PROXY, SUB_SPECIAL) // QUERY_CONSUMER_OFFSET
    .topic("topic", SUB | GET, REQUIRED | SKIP_RETRY).group("consumerGroup", SUB | GET, REQ_RETRY);
  on(15, BROKER | PROXY, SUB_SPECIAL) // UPDATE_CONSUMER_OFFSET
    .topic("topic", SUB | UPDATE, REQUIRED | SKIP_RETRY).group("consumerGroup", SUB | UPDATE, REQ_RETRY);
  on(17, BROKER).topic("topic", CREATE); // UPDATE_AND_CREATE_TOPIC
  on(18, BROKER, "the topics are in the body; RocketMQ 5.3's header names none, so it checks nothing") // UPDATE_AND_CREATE_TOPIC_LIST
    .withBody(BODY_TOPIC_CONFIGS, CREATE, true);
  cluster(21, BROKER, GET, true, EXPORT_MESH); // GET_ALL_TOPIC_CONFIG
  unserved(22, NOT_SERVED); // GET_TOPIC_CONFIG_LIST
  unserved(23, NOT_SERVED); // GET_TOPIC_NAME_LIST
  cluster(25, BROKER, UPDATE, true, ADMIN_MESH); // UPDATE_BROKER_CONFIG
  cluster(26, BROKER, GET, true, ADMIN_MESH); // GET_BROKER_CONFIG
  unserved(27, NOT_SERVED); // TRIGGER_DELETE_FILES
  cluster(28, BROKER, GET, true, ADMIN_MESH); // GET_BROKER_RUNTIME_INFO
  on(29, BROKER | PROXY).topic("topic", GET); // SEARCH_OFFSET_BY_TIMESTAMP
  on(30, BROKER | PROXY).topic("topic", GET); // GET_MAX_OFFSET
  on(31, BROKER | PROXY).topic("topic", GET); // GET_MIN_OFFSET
  on(32, BROKER).topic("topic", GET); // GET_EARLIEST_MSG_STORETIME
  on(33, BROKER, "RocketMQ skips the check when the topic is absent; the mesh requires it") // VIEW_MESSAGE_BY_ID
    .topic("topic", GET);
  on(34, BROKER | PROXY, SUB_SPECIAL + "; a heartbeat without consumers names nothing") // HEART_BEAT
    .withBody(BODY_HEARTBEAT, SUB, false);
  on(35, BROKER | PROXY, SUB_SPECIAL + "; a producer's unregister names nothing") // UNREGISTER_CLIENT
    .group("consumerGroup", SUB, OPT_RETRY);
  on(36, BROKER | PROXY, SUB_SPECIAL + "; the mesh also judges originTopic") // CONSUMER_SEND_MSG_BACK
    .group("group", SUB, REQ_RETRY).topic("originTopic", SUB, OPT_RETRY | MESH);
  on(37, BROKER | PROXY, SUB_SPECIAL + "; RocketMQ skips a blank topic, the mesh requires it") // END_TRANSACTION
    .topic("topic", PUB, REQ);
  on(38, BROKER | PROXY, SUB_SPECIAL).group("consumerGroup", SUB | GET, REQ_RETRY); // GET_CONSUMER_LIST_BY_GROUP
  on(39, CLIENT | PROXY).topic("topic", PUB, OPT_RETRY); // CHECK_TRANSACTION_STATE
  on(40, CLIENT).group("consumerGroup", SUB); // NOTIFY_CONSUMER_IDS_CHANGED
  on(41, BROKER | PROXY, SUB_SPECIAL).withBody(BODY_LOCK_BATCH, SUB, false); // LOCK_BATCH_MQ
  on(42, BROKER | PROXY, SUB_SPECIAL).withBody(BODY_LOCK_BATCH, SUB, false); // UNLOCK_BATCH_MQ
  cluster(43, BROKER, GET, true, EXPORT_MESH); // GET_ALL_CONSUMER_OFFSET
  cluster(45, BROKER, GET, true, EXPORT_MESH); // GET_ALL_DELAY_OFFSET
  on(46, BROKER | PROXY, "group and topic are in the body; RocketMQ 5.3 checks nothing") // CHECK_CLIENT_CONFIG
    .withBody(BODY_CHECK_CLIENT, SUB, true);
  unserved(47, NOT_SERVED); // GET_CLIENT_CONFIG
  cluster(60, BROKER, GET, true, ADMIN_MESH); // GET_TIMER_CHECK_POINT
  cluster(61, BROKER, GET, true, ADMIN_MESH); // GET_TIMER_METRICS
  on(200050, BROKER | PROXY).group("consumerGroup", SUB).topic("topic", SUB); // POP_MESSAGE
  on(200051, BROKER | PROXY).group("consumerGroup", SUB).topic("topic", SUB); // ACK_MESSAGE
  on(200151, BROKER, "group and topic are in the body; RocketMQ 5.3 checks nothing") // BATCH_ACK_MESSAGE
    .withBody(BODY_BATCH_ACK, SUB, true);
  on(200052, BROKER).topic("topic", SUB).group("consumerGroup", SUB); // PEEK_MESSAGE
  on(200053, BROKER | PROXY).group("consumerGroup", SUB).topic("topic", SUB); // CHANGE_MESSAGE_INVISIBLETIME
  on(200054, BROKER).group("consumerGroup", SUB).topic("topic", SUB); // NOTIFICATION
  on(200055, BROKER).group("consumerGroup", GET).topic("topic", GET); // POLLING_INFO
  cluster(200056, BROKER, UPDATE, true, "moves pop checkpoints to the file store; " + ADMIN_MESH); // POP_ROLLBACK
  cluster(100, NAMESRV, UPDATE, false); // PUT_KV_CONFIG
  cluster(101, NAMESRV, GET, false); // GET_KV_CONFIG
  cluster(102, NAMESRV, UPDATE, false); // DELETE_KV_CONFIG
  cluster(103, NAMESRV, UPDATE, false, "", "clusterName"); // REGISTER_BROKER
  cluster(104, NAMESRV, UPDATE, false, "", "clusterName"); // UNREGISTER_BROKER
  on(105, NAMESRV | PROXY, SUB_SPECIAL) // GET_ROUTEINFO_BY_TOPIC
    .topic("topic", PUB | SUB | GET, REQUIRED | RETRY_GROUP_SUB);
  cluster(106, NAMESRV, GET, true, "brokers and clusters, no topic or group; RocketMQ 5.3 checks nothing for it"); // GET_BROKER_CLUSTER_INFO
  on(200, BROKER, "the group is in the body; RocketMQ 5.3 checks nothing") // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
    .withBody(BODY_GROUP_CONFIG, CREATE | UPDATE, true);
  cluster(201, BROKER, GET, true, EXPORT_MESH); // GET_ALL_SUBSCRIPTIONGROUP_CONFIG
  on(202, BROKER).topic("topic", GET); // GET_TOPIC_STATS_INFO
  on(203, BROKER | PROXY).group("consumerGroup", GET); // GET_CONSUMER_CONNECTION_LIST
  cluster(204, BROKER, GET, false, "the mesh also judges the producer group") // GET_PRODUCER_CONNECTION_LIST
    .group("producerGroup", GET, REQUIRED | MESH);
  cluster(205, NAMESRV, UPDATE, false); // WIPE_WRITE_PERM_OF_BROKER
  listing(206, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_ALL_TOPIC_LIST_FROM_NAMESERVER
  on(207, BROKER).group("groupName", DELETE); // DELETE_SUBSCRIPTIONGROUP
  on(208, BROKER) // GET_CONSUME_STATS
    .group("consumerGroup", GET).topic("topic", GET, OPT_RETRY).topic("topicList", GET, OPT_RETRY | SPLIT_SEMICOLON);
  unserved(209, NOT_SERVED); // SUSPEND_CONSUMER
  unserved(210, NOT_SERVED); // RESUME_CONSUMER
  unserved(211, NOT_SERVED); // RESET_CONSUMER_OFFSET_IN_CONSUMER
  unserved(212, NOT_SERVED); // RESET_CONSUMER_OFFSET_IN_BROKER
  unserved(213, NOT_SERVED); // ADJUST_CONSUMER_THREAD_POOL
  unserved(214, NOT_SERVED); // WHO_CONSUME_THE_MESSAGE
  on(215, BROKER).topic("topic", DELETE); // DELETE_TOPIC_IN_BROKER
  cluster(216, NAMESRV, UPDATE, false, "removes the topic's route: the mesh also judges Delete on the topic", "clusterName") // DELETE_TOPIC_IN_NAMESRV
    .topic("topic", DELETE, REQ_RETRY | MESH);
  cluster(217, NAMESRV, UPDATE, false, "the mesh also judges Create on the topic") // REGISTER_TOPIC_IN_NAMESRV
    .topic("topic", CREATE, REQ_RETRY | MESH);
  cluster(219, NAMESRV, GET, false); // GET_KVLIST_BY_NAMESPACE
  on(220, CLIENT, "sent by a broker to a client; RocketMQ 5.3 checks nothing") // RESET_CONSUMER_CLIENT_OFFSET
    .topic("topic", UPDATE, REQ_RETRY | MESH).group("group", UPDATE, REQUIRED | MESH);
  on(221, CLIENT, "sent by a broker to a client; RocketMQ 5.3 checks nothing") // GET_CONSUMER_STATUS_FROM_CLIENT
    .topic("topic", GET, REQ_RETRY | MESH).group("group", GET, REQUIRED | MESH);
  on(222, BROKER).group("group", UPDATE).topic("topic", UPDATE); // INVOKE_BROKER_TO_RESET_OFFSET
  on(223, BROKER).topic("topic", GET).group("group", GET); // INVOKE_BROKER_TO_GET_CONSUMER_STATUS
  on(300, BROKER) // QUERY_TOPIC_CONSUME_BY_WHO
    .topic("topic", GET).answers(ANSWER_GROUP_LIST);
  listing(224, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_TOPICS_BY_CLUSTER
  on(225, BROKER, "the groups are in the body; RocketMQ 5.3 checks nothing") // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST
    .withBody(BODY_GROUP_CONFIGS, CREATE | UPDATE, true);
  on(343, BROKER) // QUERY_TOPICS_BY_CONSUMER
    .group("group", GET).answers(ANSWER_TOPIC_LIST);
  on(345, BROKER).group("group", GET).topic("topic", GET, OPT_RETRY); // QUERY_SUBSCRIPTION_BY_CONSUMER
  unserved(301, NOT_SERVED + " (filter servers were removed in 5.0)"); // REGISTER_FILTER_SERVER
  unserved(302, NOT_SERVED + " (filter servers were removed in 5.0)"); // REGISTER_MESSAGE_FILTER_CLASS
  on(303, BROKER).topic("topic", GET).group("group", GET); // QUERY_CONSUME_TIME_SPAN
  listing(304, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_SYSTEM_TOPIC_LIST_FROM_NS
  listing(305, BROKER, ANSWER_TOPIC_LIST, LIST_MESH); // GET_SYSTEM_TOPIC_LIST_FROM_BROKER
  cluster(306, BROKER, UPDATE, true, ADMIN_MESH); // CLEAN_EXPIRED_CONSUMEQUEUE
  on(307, BROKER | CLIENT).group("consumerGroup", GET); // GET_CONSUMER_RUNNING_INFO
  on(308, BROKER) // QUERY_CORRECTION_OFFSET
    .group("filterGroups", GET, SPLIT_COMMA).group("compareGroup", GET).topic("topic", GET);
  on(309, BROKER | CLIENT).group("consumerGroup", SUB).topic("topic", SUB, OPT_RETRY); // CONSUME_MESSAGE_DIRECTLY
  on(310, BROKER | PROXY, SUB_SPECIAL + "; a retry topic is judged as its own group (RocketMQ judges header a)") // SEND_MESSAGE_V2
    .topic("b", PUB, REQUIRED | RETRY_GROUP_SUB);
  listing(311, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_UNIT_TOPIC_LIST
  listing(312, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_HAS_UNIT_SUB_TOPIC_LIST
  listing(313, NAMESRV, ANSWER_TOPIC_LIST, LIST_MESH); // GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST
  on(314, BROKER, "the mesh also judges Get on the source group") // CLONE_GROUP_OFFSET
    .group("destGroup", UPDATE).topic("topic", UPDATE, OPT_RETRY).group("srcGroup", GET, REQUIRED | MESH);
  cluster(315, BROKER, GET, false); // VIEW_BROKER_STATS_DATA
  cluster(316, BROKER, UPDATE, true, ADMIN_MESH); // CLEAN_UNUSED_TOPIC
  cluster(317, BROKER, GET, false); // GET_BROKER_CONSUME_STATS
  cluster(318, NAMESRV, UPDATE, true, ADMIN_MESH); // UPDATE_NAMESRV_CONFIG
  cluster(319, NAMESRV, GET, true, ADMIN_MESH); // GET_NAMESRV_CONFIG
  on(320, BROKER | PROXY, SUB_SPECIAL + "; a retry topic is judged as its own group (RocketMQ judges header a)") // SEND_BATCH_MESSAGE
    .topic("b", PUB, REQUIRED | RETRY_GROUP_SUB);
  on(321, BROKER, "RocketMQ skips the check when the topic is absent; the mesh requires it") // QUERY_CONSUME_QUEUE
    .topic("topic", GET).group("consumerGroup", GET, OPT);
  cluster(322, NAMESRV, GET, false, "", "clusterName"); // QUERY_DATA_VERSION
  on(323, BROKER, "RocketMQ skips the check when the topic is absent; the mesh requires it") // RESUME_CHECK_HALF_MESSAGE
    .topic("topic", UPDATE);
  on(324, BROKER, "RocketMQ 5.3 checks nothing for it") // SEND_REPLY_MESSAGE
    .topic("topic", PUB, REQUIRED | RETRY_GROUP_SUB | MESH);
  on(325, BROKER, "RocketMQ 5.3 checks nothing for it") // SEND_REPLY_MESSAGE_V2
    .topic("b", PUB, REQUIRED | RETRY_GROUP_SUB | MESH);
  on(326, CLIENT).group("producerGroup", SUB).topic("topic", SUB); // PUSH_REPLY_MESSAGE_TO_CLIENT
  cluster(327, NAMESRV, UPDATE, false); // ADD_WRITE_PERM_OF_BROKER
  cluster(328, BROKER, GET, false); // GET_ALL_PRODUCER_INFO
  cluster(329, BROKER, UPDATE, true, ADMIN_MESH); // DELETE_EXPIRED_COMMITLOG
  on(351, BROKER).topic("topic", GET); // GET_TOPIC_CONFIG
  on(352, BROKER).group("group", GET); // GET_SUBSCRIPTIONGROUP_CONFIG
  on(353, BROKER).group("group", UPDATE).topic("topic", UPDATE); // UPDATE_AND_GET_GROUP_FORBIDDEN
  on(354, BROKER).topic("topic", GET); // CHECK_ROCKSDB_CQ_WRITE_PROGRESS
  cluster(355, BROKER, GET, false); // EXPORT_ROCKSDB_CONFIG_TO_JSON
  on(361, BROKER | PROXY, "pulls like PULL_MESSAGE; RocketMQ 5.3 checks nothing for it") // LITE_PULL_MESSAGE
    .topic("topic", SUB, REQUIRED | SKIP_RETRY | MESH).group("consumerGroup", SUB, REQUIRED | MESH);
  on(370, BROKER | PROXY, SUB_SPECIAL).topic("topic", PUB, REQ); // RECALL_MESSAGE
  on(400, BROKER, "topic and group are in the body; RocketMQ 5.3 checks nothing") // QUERY_ASSIGNMENT
    .withBody(BODY_TOPIC_GROUP, SUB, true);
  on(401, BROKER, "topic and group are in the body; RocketMQ 5.3 checks nothing") // SET_MESSAGE_REQUEST_MODE
    .withBody(BODY_TOPIC_GROUP, UPDATE, true);
  cluster(402, BROKER, GET, true, EXPORT_MESH); // GET_ALL_MESSAGE_REQUEST_MODE
  on(513, BROKER, "RocketMQ 5.3 checks nothing for it") // UPDATE_AND_CREATE_STATIC_TOPIC
    .topic("topic", CREATE, REQ_RETRY | MESH);
  cluster(901, NAMESRV, GET, false, "RocketMQ checks it only when the header names the cluster", "clusterName"); // GET_BROKER_MEMBER_GROUP
  cluster(902, BROKER, UPDATE, false); // ADD_BROKER
  cluster(903, BROKER, UPDATE, false, "", "brokerClusterName"); // REMOVE_BROKER
  cluster(904, NAMESRV | CONTROLLER, UPDATE, false, "", "clusterName"); // BROKER_HEARTBEAT
  cluster(905, BROKER, UPDATE, false); // NOTIFY_MIN_BROKER_ID_CHANGE
  cluster(906, BROKER, UPDATE, false); // EXCHANGE_BROKER_HA_INFO
  cluster(907, BROKER, GET, true, ADMIN_MESH); // GET_BROKER_HA_STATUS
  cluster(908, BROKER, UPDATE, false); // RESET_MASTER_FLUSH_OFFSET
  cluster(1001, CONTROLLER, UPDATE, false); // CONTROLLER_ALTER_SYNC_STATE_SET
  cluster(1002, CONTROLLER, UPDATE, false, "", "clusterName"); // CONTROLLER_ELECT_MASTER
  cluster(1003, CONTROLLER, UPDATE, false, "", "clusterName"); // CONTROLLER_REGISTER_BROKER
  cluster(1004, CONTROLLER, GET, false); // CONTROLLER_GET_REPLICA_INFO
  cluster(1005, CONTROLLER, GET, true, ADMIN_MESH); // CONTROLLER_GET_METADATA_INFO
  cluster(1006, CONTROLLER, GET, true, ADMIN_MESH); // CONTROLLER_GET_SYNC_STATE_DATA
  cluster(1007, BROKER, GET, true, ADMIN_MESH); // GET_BROKER_EPOCH_CACHE
  cluster(1008, BROKER, UPDATE, false); // NOTIFY_BROKER_ROLE_CHANGED
  cluster(1009, CONTROLLER, UPDATE, true, ADMIN_MESH); // UPDATE_CONTROLLER_CONFIG
  cluster(1010, CONTROLLER, GET, true, ADMIN_MESH); // GET_CONTROLLER_CONFIG
  cluster(1011, CONTROLLER, UPDATE, false, "", "clusterName"); // CLEAN_BROKER_DATA
  cluster(1012, CONTROLLER, GET, false, "", "clusterName"); // CONTROLLER_GET_NEXT_BROKER_ID
  cluster(1013, CONTROLLER, UPDATE, false, "", "clusterName"); // CONTROLLER_APPLY_BROKER_ID
  cluster(2001, BROKER, UPDATE, true, ADMIN_MESH); // UPDATE_COLD_DATA_FLOW_CTR_CONFIG
  cluster(2002, BROKER, UPDATE, true, ADMIN_MESH); // REMOVE_COLD_DATA_FLOW_CTR_CONFIG
  cluster(2003, BROKER, GET, true, ADMIN_MESH); // GET_COLD_DATA_FLOW_CTR_INFO
  cluster(2004, BROKER, UPDATE, true, ADMIN_MESH); // SET_COMMITLOG_READ_MODE
  cluster(3001, BROKER, UPDATE, false); // AUTH_CREATE_USER
  cluster(3002, BROKER, UPDATE, false); // AUTH_UPDATE_USER
  cluster(3003, BROKER, UPDATE, false); // AUTH_DELETE_USER
  cluster(3004, BROKER, GET, false); // AUTH_GET_USER
  cluster(3005, BROKER, GET, false); // AUTH_LIST_USER
  cluster(3006, BROKER, UPDATE, false); // AUTH_CREATE_ACL
  cluster(3007, BROKER, UPDATE, false); // AUTH_UPDATE_ACL
  cluster(3008, BROKER, UPDATE, false); // AUTH_DELETE_ACL
  cluster(3009, BROKER, GET, false); // AUTH_GET_ACL
  cluster(3010, BROKER, GET, false); // AUTH_LIST_ACL
}

// Every rule, in RequestCode.java order.
export function allCodeRules(): CodeRule[] {
  if (RULES.length == 0) build();
  return RULES;
}

// The rule of a request code, or null for a code RocketMQ 5.3 does not define.
export function codeRule(code: i32): CodeRule | null {
  let index = INDEX;
  if (index === null) {
    index = new Map<i32, CodeRule>();
    const rules = allCodeRules();
    for (let i = 0; i < rules.length; i++) index.set(unchecked(rules[i]).code, unchecked(rules[i]));
    INDEX = index;
  }
  return index.has(code) ? index.get(code) : null;
}
