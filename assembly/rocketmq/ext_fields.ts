// RemotingCommand.extFields: the String->String map that carries every
// request and response header field. Java keeps it in a HashMap, so the
// order on the wire is hash order; we keep the wire order (and duplicates,
// which a FastCodesHeader can produce in binary headers) so that re-encoding
// an untouched command gives back its bytes.

export class ExtFields {
  keys: string[] = [];
  values: string[] = [];
  // Original JSON text of each entry ("key":value), null once changed or for
  // entries that did not come from a JSON header.
  raws: Array<string | null> = [];
  // Set by any change; encoders then rebuild what they would have copied.
  dirty: bool = false;

  get length(): i32 {
    return this.keys.length;
  }

  keyAt(i: i32): string {
    return i >= 0 && i < this.keys.length ? unchecked(this.keys[i]) : "";
  }

  valueAt(i: i32): string {
    return i >= 0 && i < this.values.length ? unchecked(this.values[i]) : "";
  }

  rawAt(i: i32): string | null {
    return i >= 0 && i < this.raws.length ? unchecked(this.raws[i]) : null;
  }

  // Position of the entry the Java side would see (the last duplicate).
  indexOf(key: string): i32 {
    for (let i = this.keys.length - 1; i >= 0; i--) if (unchecked(this.keys[i]) == key) return i;
    return -1;
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  // The value, or null when absent.
  get(key: string): string | null {
    const i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.values[i]);
  }

  getOr(key: string, fallback: string): string {
    const i = this.indexOf(key);
    return i < 0 ? fallback : unchecked(this.values[i]);
  }

  // Appends as read from the wire (not a change).
  add(key: string, value: string, raw: string | null = null): void {
    this.keys.push(key);
    this.values.push(value);
    this.raws.push(raw);
  }

  // Replaces the value in place, or appends a new entry.
  set(key: string, value: string): void {
    const i = this.indexOf(key);
    if (i >= 0 && unchecked(this.values[i]) == value) return;
    this.dirty = true;
    if (i < 0) {
      this.add(key, value, null);
      return;
    }
    unchecked((this.values[i] = value));
    unchecked((this.raws[i] = null));
  }

  // Removes every entry with this key; true if there was one.
  remove(key: string): bool {
    let found = false;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (unchecked(this.keys[i]) != key) continue;
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
      this.raws.splice(i, 1);
      found = true;
    }
    if (found) this.dirty = true;
    return found;
  }
}
