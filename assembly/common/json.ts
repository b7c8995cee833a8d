// JSON (RFC 8259): the small DOM a parser (json_parser.ts) builds and a
// serializer (json_writer.ts) writes, both re-exported here.
//
// Hand-written rather than a library: the two maintained AssemblyScript JSON
// libraries (assemblyscript-json 1.1.0, json-as 1.6.0) compile with AS 0.28
// but both abort the module on malformed input ("Unexpected input end",
// "Incomplete or unterminated JSON value"), and a filter must never trap on
// what a client or an operator sends. json-as also needs a compiler transform.
//
// Errors are values: parseJson() returns a JsonResult carrying either the
// value or a message with the UTF-16 offset where parsing stopped. Nesting is
// bounded so hostile input cannot exhaust the Wasm stack.

import { stringify } from "./json_writer";

// The parser lives in json_parser.ts and the serializer in json_writer.ts;
// importers of this file get all three.
export { DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, parseJson, parseJsonBytes } from "./json_parser";
export { JsonWriter, formatNumber, quoteJson, stringify } from "./json_writer";

export const enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

// Objects with more keys than this get a hash index, so building or reading a
// large object stays linear instead of quadratic in the number of keys.
const INDEX_THRESHOLD = 8;
// Integers up to 2^53 convert between f64 and i64 without loss.
export const MAX_SAFE: f64 = 9007199254740992.0;

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  private b: bool = false;
  private n: f64 = 0;
  private i: i64 = 0;
  private exact: bool = false; // `i` holds the exact integer value
  private s: string = "";
  private items: JsonValue[] | null = null; // array elements, or object values
  private keys: string[] | null = null;
  private index: Map<string, i32> | null = null;

  static ofNull(): JsonValue {
    return new JsonValue();
  }
  static ofBool(b: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.b = b;
    return v;
  }
  static ofNumber(n: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = n;
    if (Math.abs(n) <= MAX_SAFE && Math.floor(n) == n) {
      v.i = <i64>n;
      v.exact = true;
    }
    return v;
  }
  static ofInt(i: i64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = <f64>i;
    v.i = i;
    v.exact = true;
    return v;
  }
  /** A number with both views given: f as JSON.parse would read it, and i
   *  its exact integer value when exact (e.g. 2^63-1, which f64 rounds). */
  static ofParsedNumber(f: f64, i: i64, exact: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = f;
    v.i = i;
    v.exact = exact;
    return v;
  }
  static ofString(s: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.s = s;
    return v;
  }
  static newArray(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = [];
    return v;
  }
  static newObject(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = [];
    v.keys = [];
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** True for a number whose exact integer value asInt() returns: an integer
   *  literal within i64, or any integral number within +-2^53. */
  get isInteger(): bool { return this.kind == JsonKind.Number && this.exact; }

  asBool(): bool { return this.b; }
  asNumber(): f64 { return this.n; }
  /** Exact for isInteger values; otherwise the f64 truncated (saturating). */
  asInt(): i64 {
    if (this.exact) return this.i;
    if (this.n != this.n) return 0;
    if (this.n >= 9223372036854775807.0) return i64.MAX_VALUE;
    if (this.n <= -9223372036854775808.0) return i64.MIN_VALUE;
    return <i64>this.n;
  }
  asString(): string { return this.s; }

  /** Elements of an array or members of an object; 0 for scalars. */
  get length(): i32 {
    const items = this.items;
    return items ? items.length : 0;
  }

  /** Array element, or object member value, by position; null if out of range. */
  at(i: i32): JsonValue | null {
    const items = this.items;
    if (!items || i < 0 || i >= items.length) return null;
    return unchecked(items[i]);
  }

  /** Object member name by position (document order); "" if out of range. */
  keyAt(i: i32): string {
    const keys = this.keys;
    if (!keys || i < 0 || i >= keys.length) return "";
    return unchecked(keys[i]);
  }

  indexOf(key: string): i32 {
    const keys = this.keys;
    if (!keys) return -1;
    const index = this.index;
    if (index) return index.has(key) ? index.get(key) : -1;
    for (let i = 0; i < keys.length; i++) if (unchecked(keys[i]) == key) return i;
    return -1;
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** Object member by name; null when absent or when this is not an object. */
  get(key: string): JsonValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.at(i);
  }

  /** Appends to an array; ignored for other kinds. Returns this for chaining. */
  push(v: JsonValue): JsonValue {
    const items = this.items;
    if (this.kind == JsonKind.Array && items) items.push(v);
    return this;
  }

  /** Sets an object member. A new key goes last; an existing key keeps its
   *  place and takes the new value (as JSON.parse does with duplicates). */
  set(key: string, v: JsonValue): JsonValue {
    const keys = this.keys;
    const items = this.items;
    if (this.kind != JsonKind.Object || !keys || !items) return this;
    const i = this.indexOf(key);
    if (i >= 0) {
      unchecked((items[i] = v));
      return this;
    }
    keys.push(key);
    items.push(v);
    let index = this.index;
    if (index) {
      index.set(key, keys.length - 1);
    } else if (keys.length > INDEX_THRESHOLD) {
      index = new Map<string, i32>();
      for (let k = 0; k < keys.length; k++) index.set(unchecked(keys[k]), k);
      this.index = index;
    }
    return this;
  }

  toString(): string {
    return stringify(this);
  }
}

export class JsonResult {
  constructor(
    public value: JsonValue, // a Null value when !ok
    public error: string, // "" when ok
    public pos: i32, // UTF-16 offset of the error; -1 when ok
  ) {}
  get ok(): bool { return this.pos < 0; }
  /** "message at position N", for logs. */
  describe(): string {
    return this.ok ? "ok" : this.error + " at position " + this.pos.toString();
  }
}
