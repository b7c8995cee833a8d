// A span as OpenTelemetry models it, reduced to what a proxy records about
// the messages it carries: a name, a kind, its own trace context and its
// parent's span id, start and end times, attributes, links to other
// contexts (the records of a fetch), and a status.
//
// A span whose context is not sampled is non-recording, as in the OTel API:
// it still has ids (its context may be injected into messages), but the
// setters do nothing and the tracer never exports it, so an unsampled
// request costs no attribute work.
//
// Limits follow the OTel SDK defaults: 128 attributes and 128 links per
// span; more are counted as dropped (OTLP carries the counts).
import { TraceContext } from "../trace_context";

// OTLP Span.SpanKind values.
export const enum SpanKind {
  Internal = 1,
  Server = 2,
  Client = 3,
  Producer = 4,
  Consumer = 5,
}

// OTLP Status.StatusCode values.
export const enum StatusCode {
  Unset = 0,
  Ok = 1,
  Error = 2,
}

export const enum AttributeType {
  String = 0,
  Int = 1,
  Bool = 2,
  Double = 3,
}

export const MAX_ATTRIBUTES: i32 = 128;
export const MAX_LINKS: i32 = 128;

// The attribute of the class of error an operation ended with (stable in
// the semantic conventions).
export const ERROR_TYPE = "error.type";

export class Attribute {
  constructor(
    public key: string,
    public type: AttributeType,
    public text: string = "",
    public int: i64 = 0,
    public double: f64 = 0,
  ) {}

  get bool(): bool {
    return this.int != 0;
  }
}

// An ordered attribute list where setting a key again replaces its value
// (the OTel API's rule), bounded by MAX_ATTRIBUTES.
export class Attributes {
  items: Attribute[] = [];
  dropped: u32 = 0;

  private slot(key: string, type: AttributeType): Attribute | null {
    for (let i = 0; i < this.items.length; i++) {
      const a = unchecked(this.items[i]);
      if (a.key == key) {
        a.type = type;
        return a;
      }
    }
    if (this.items.length >= MAX_ATTRIBUTES) {
      this.dropped++;
      return null;
    }
    const a = new Attribute(key, type);
    this.items.push(a);
    return a;
  }

  setString(key: string, value: string): void {
    const a = this.slot(key, AttributeType.String);
    if (a) a.text = value;
  }

  setInt(key: string, value: i64): void {
    const a = this.slot(key, AttributeType.Int);
    if (a) a.int = value;
  }

  setBool(key: string, value: bool): void {
    const a = this.slot(key, AttributeType.Bool);
    if (a) a.int = value ? 1 : 0;
  }

  setDouble(key: string, value: f64): void {
    const a = this.slot(key, AttributeType.Double);
    if (a) a.double = value;
  }

  get length(): i32 {
    return this.items.length;
  }
}

export class SpanLink {
  attributes: Attributes = new Attributes();
  // True for a context read from the wire (a record header, a property).
  remote: bool = true;

  constructor(public context: TraceContext) {}
}

export class Span {
  attributes: Attributes = new Attributes();
  links: SpanLink[] = [];
  droppedLinks: u32 = 0;
  status: StatusCode = StatusCode.Unset;
  statusMessage: string = "";
  // 0 until the tracer ends the span.
  endNanos: u64 = 0;
  // Sampled spans of a tracer that exports record (and are exported);
  // others only carry ids. Set by the tracer.
  recording: bool = true;

  constructor(
    public name: string,
    public kind: SpanKind,
    // This span's own context: its trace id, span id, flags and
    // tracestate. Inject this into a message to make the span its parent.
    public context: TraceContext,
    // The parent's span id (16 hex), "" for a root span.
    public parentSpanId: string,
    // Whether the parent came from another process (OTLP span flags).
    public parentRemote: bool,
    // Wall-clock time in ns since the epoch.
    public startNanos: u64,
  ) {}

  get ended(): bool {
    return this.endNanos != 0;
  }

  setString(key: string, value: string): Span {
    if (this.recording) this.attributes.setString(key, value);
    return this;
  }

  setInt(key: string, value: i64): Span {
    if (this.recording) this.attributes.setInt(key, value);
    return this;
  }

  setBool(key: string, value: bool): Span {
    if (this.recording) this.attributes.setBool(key, value);
    return this;
  }

  setDouble(key: string, value: f64): Span {
    if (this.recording) this.attributes.setDouble(key, value);
    return this;
  }

  // Links this span to another context (a consumed record's creation
  // context); returns the link for attributes, or null when not recorded.
  addLink(context: TraceContext, remote: bool = true): SpanLink | null {
    if (!this.recording) return null;
    if (this.links.length >= MAX_LINKS) {
      this.droppedLinks++;
      return null;
    }
    const link = new SpanLink(context);
    link.remote = remote;
    this.links.push(link);
    return link;
  }

  // Links to every context (the ones the received messages carry).
  addLinks(contexts: TraceContext[]): void {
    for (let i = 0; i < contexts.length; i++) this.addLink(unchecked(contexts[i]));
  }

  // The operation failed: error.type (low cardinality, such as a Kafka
  // error name) and an Error status with an optional description.
  setError(errorType: string, message: string = ""): Span {
    if (!this.recording) return this;
    this.attributes.setString(ERROR_TYPE, errorType);
    this.status = StatusCode.Error;
    this.statusMessage = message;
    return this;
  }
}
