// Message properties as RocketMQ carries them in the SEND_MESSAGE header
// ("properties" / V2 "i") and in batch and stored messages:
//   name \u0001 value \u0002 name \u0001 value \u0002 ...
// Parsing follows MessageDecoder.string2messageProperties: a segment shorter
// than 3 characters, without a separator, or with an empty name or value is
// skipped, and a missing final \u0002 is fine.
import { StrBuf } from "../common/strbuf";

export const NAME_VALUE_SEPARATOR: i32 = 1;
export const PROPERTY_SEPARATOR: i32 = 2;

// Well-known names (MessageConst).
export const PROPERTY_KEYS = "KEYS";
export const PROPERTY_TAGS = "TAGS";
export const PROPERTY_UNIQ_CLIENT_MESSAGE_ID = "UNIQ_KEY";
export const PROPERTY_TRANSACTION_PREPARED = "TRAN_MSG";
export const PROPERTY_DELAY_TIME_LEVEL = "DELAY";

export class MessageProperties {
  names: string[] = [];
  values: string[] = [];

  get length(): i32 {
    return this.names.length;
  }

  // Java puts each pair into a HashMap, so the last duplicate wins.
  indexOf(name: string): i32 {
    for (let i = this.names.length - 1; i >= 0; i--) if (unchecked(this.names[i]) == name) return i;
    return -1;
  }

  get(name: string): string | null {
    const i = this.indexOf(name);
    return i < 0 ? null : unchecked(this.values[i]);
  }

  // Replaces in place or appends.
  set(name: string, value: string): void {
    const i = this.indexOf(name);
    if (i >= 0) unchecked((this.values[i] = value));
    else {
      this.names.push(name);
      this.values.push(value);
    }
  }

  remove(name: string): bool {
    let found = false;
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (unchecked(this.names[i]) != name) continue;
      this.names.splice(i, 1);
      this.values.splice(i, 1);
      found = true;
    }
    return found;
  }

  // messageProperties2String's form: every pair ends with \u0002.
  toString(): string {
    const b = new StrBuf(64);
    for (let i = 0; i < this.names.length; i++) {
      b.str(unchecked(this.names[i])).code(NAME_VALUE_SEPARATOR).str(unchecked(this.values[i])).code(PROPERTY_SEPARATOR);
    }
    return b.toString();
  }
}

export function parseProperties(s: string): MessageProperties {
  const p = new MessageProperties();
  const len = s.length;
  let index = 0;
  while (index < len) {
    let next = s.indexOf(String.fromCharCode(PROPERTY_SEPARATOR), index);
    if (next < 0) next = len;
    if (next - index >= 3) {
      const kv = s.indexOf(String.fromCharCode(NAME_VALUE_SEPARATOR), index);
      if (kv > index && kv < next - 1) {
        p.names.push(s.substring(index, kv));
        p.values.push(s.substring(kv + 1, next));
      }
    }
    index = next + 1;
  }
  return p;
}

// s with `name` set to `value`, every other byte as it was: the value of the
// last pair with that name is replaced, or the pair is appended (after a
// \u0002 if s lacked the final one). Used to add trace context (traceparent)
// without re-serializing what the client wrote.
export function withProperty(s: string, name: string, value: string): string {
  const len = s.length;
  let index = 0;
  let vStart = -1;
  let vEnd = -1;
  while (index < len) {
    let next = s.indexOf(String.fromCharCode(PROPERTY_SEPARATOR), index);
    if (next < 0) next = len;
    if (next - index >= 3) {
      const kv = s.indexOf(String.fromCharCode(NAME_VALUE_SEPARATOR), index);
      if (kv > index && kv < next - 1 && kv - index == name.length && s.substring(index, kv) == name) {
        vStart = kv + 1;
        vEnd = next;
      }
    }
    index = next + 1;
  }
  if (vStart >= 0) return s.substring(0, vStart) + value + s.substring(vEnd);
  const b = new StrBuf(len + name.length + value.length + 3);
  b.str(s);
  if (len > 0 && s.charCodeAt(len - 1) != PROPERTY_SEPARATOR) b.code(PROPERTY_SEPARATOR);
  b.str(name).code(NAME_VALUE_SEPARATOR).str(value).code(PROPERTY_SEPARATOR);
  return b.toString();
}
