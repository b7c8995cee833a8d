// The resources a Kafka request names, for policies. Each API's generated
// scan (requestResources in api/registry.ts) walks a decoded request and
// shows a ResourceVisitor every topic name, topic id, group id and
// transactional id it names (from the schema's entityType annotations and
// TopicId fields), plus the config/ACL resources and coordinator keys whose
// type is a number on the wire. The visitor answers allow or deny; denied
// entries are moved out of the request into a "denied part" of the same API,
// which the API's generated error response (errorResponse) answers and
// mergeResponse adds to the broker's answer to the rest (see refusal.ts).

// What a resource is. Topic ids are kept apart from names: a policy keyed
// on names must resolve them (from responses that carry both).
export enum ResourceType {
  Topic = 1,
  TopicId = 2,
  Group = 3,
  TransactionalId = 4,
  Cluster = 5,
  Broker = 6, // a broker's or broker logger's configs
  ClientMetrics = 7,
  DelegationToken = 8,
  User = 9,
  Other = 10, // an unknown or "any" type code, a share-coordinator key
}

export function resourceTypeName(t: ResourceType): string {
  switch (t) {
    case ResourceType.Topic: return "Topic";
    case ResourceType.TopicId: return "TopicId";
    case ResourceType.Group: return "Group";
    case ResourceType.TransactionalId: return "TransactionalId";
    case ResourceType.Cluster: return "Cluster";
    case ResourceType.Broker: return "Broker";
    case ResourceType.ClientMetrics: return "ClientMetrics";
    case ResourceType.DelegationToken: return "DelegationToken";
    case ResourceType.User: return "User";
  }
  return "Other";
}

// Numberings of a resource type that travels as an int8 beside the name.
export enum DynamicFamily {
  Config = 1, // ConfigResource.Type: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs
  Acl = 2, // ResourceType of ACL bindings and filters: CreateAcls, DeleteAcls, DescribeAcls
  Coordinator = 3, // FindCoordinator KeyType
}

export function dynamicResourceType(family: DynamicFamily, code: i8): ResourceType {
  if (family == DynamicFamily.Config) {
    switch (code) {
      case 2: return ResourceType.Topic;
      case 4: case 8: return ResourceType.Broker;
      case 16: return ResourceType.ClientMetrics;
      case 32: return ResourceType.Group;
    }
  } else if (family == DynamicFamily.Acl) {
    switch (code) {
      case 2: return ResourceType.Topic;
      case 3: return ResourceType.Group;
      case 4: return ResourceType.Cluster;
      case 5: return ResourceType.TransactionalId;
      case 6: return ResourceType.DelegationToken;
      case 7: return ResourceType.User;
    }
  } else {
    switch (code) {
      case 0: return ResourceType.Group;
      case 1: return ResourceType.TransactionalId;
    }
  }
  return ResourceType.Other;
}

// One resource as the visitor sees it. The scan reuses one object: copy
// what must outlive visit().
export class ResourceRef {
  type: ResourceType = ResourceType.Topic;
  name: string = ""; // empty for a topic id
  topicId: Uint8Array = new Uint8Array(0); // 16 bytes for a topic id, else empty
  // The JSON path of the field that names it, e.g. "Topics.Name" or
  // "ForgottenTopicsData.TopicId": which part of the request this is.
  field: string = "";
  // Denying it drops just its entry (a topic of a produce, a group of a
  // DescribeGroups); otherwise denying it refuses the whole request.
  removable: bool = false;
  // A regex, prefix or filter (ACL patterns, SubscribedTopicRegex), not a name.
  pattern: bool = false;
  // The type number on the wire for config/ACL resources and coordinator keys, else -1.
  typeCode: i32 = -1;
}

// A policy's side of a scan: return false to deny the resource.
export class ResourceVisitor {
  visit(ref: ResourceRef): bool {
    return true;
  }
}

// The state of one scan, passed through the generated code.
export class ResourceScan {
  // A resource that cannot be dropped alone was denied: refuse the request whole.
  whole: bool = false;
  visited: i32 = 0;
  denied: i32 = 0;
  // Entries moved out of the request into its denied part.
  dropped: i32 = 0;
  // > 0 while inside an entry that is dropped already: its resources are
  // still shown to the visitor, but nothing inside is dropped again.
  private muted: i32 = 0;
  private readonly ref: ResourceRef = new ResourceRef();
  private static readonly NO_ID: Uint8Array = new Uint8Array(0);

  constructor(public visitor: ResourceVisitor) {}

  // A named resource; null names nothing (a non-transactional producer) and is allowed.
  name(type: ResourceType, name: string | null, field: string, removable: bool, pattern: bool): bool {
    if (name === null) return true;
    return this.show(type, name!, ResourceScan.NO_ID, field, removable, pattern, -1);
  }

  topicId(id: Uint8Array, field: string, removable: bool): bool {
    return this.show(ResourceType.TopicId, "", id, field, removable, false, -1);
  }

  dynamic(family: DynamicFamily, code: i8, name: string | null, field: string, removable: bool, pattern: bool): bool {
    if (name === null) return true;
    return this.show(dynamicResourceType(family, code), name!, ResourceScan.NO_ID, field, removable, pattern, code);
  }

  // Whether a denied entry leaves the request: not inside one that left
  // already, and not once the request is refused whole.
  dropping(): bool {
    return this.muted == 0 && !this.whole;
  }

  mute(): void {
    this.muted++;
  }

  unmute(): void {
    this.muted--;
  }

  private show(type: ResourceType, name: string, id: Uint8Array, field: string, removable: bool, pattern: bool, code: i32): bool {
    const ref = this.ref;
    ref.type = type;
    ref.name = name;
    ref.topicId = id;
    ref.field = field;
    ref.removable = removable;
    ref.pattern = pattern;
    ref.typeCode = code;
    this.visited++;
    if (this.visitor.visit(ref)) return true;
    this.denied++;
    if (this.muted == 0) {
      if (removable) this.dropped++;
      else this.whole = true;
    }
    return false;
  }
}

// Appends x to a list made on first use (the generated scans collect denied entries so).
export function pushTo<T>(list: Array<T> | null, x: T): Array<T> {
  const out = list === null ? new Array<T>(0) : list;
  out.push(x);
  return out;
}
