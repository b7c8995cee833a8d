// The JSON serialization of a RemotingCommand header (SerializeType.JSON),
// as fastjson writes it from the Java bean: members sorted by name, nulls
// left out, the language as its enum name, extFields a flat string map:
//   {"code":310,"extFields":{"a":"g","b":"t"},"flag":0,"language":"JAVA",
//    "opaque":7,"serializeTypeCurrentRPC":"JSON","version":453}
// Decoding keeps a JsonLayout, so re-encoding a command that was not changed
// returns the exact bytes, and a changed one copies every untouched member.
import { quoteJson } from "../common/json";
import { StrBuf } from "../common/strbuf";
import { JsonLayout, RemotingCommand } from "./command";
import { ExtFields } from "./ext_fields";
import { intAt, Member, NOT_AN_INT, scanObject, stringAt } from "./fastjson";
import { LANGUAGE_JAVA, languageCode, languageName } from "./language";

// An int member; fastjson reads a null as the Java default 0.
function intMember(text: string, m: Member, name: string, errors: string[]): i32 {
  if (text.substring(m.start, m.end) == "null") return 0;
  const v = intAt(text, m.start, m.end);
  if (v == NOT_AN_INT || v < i32.MIN_VALUE || v > i32.MAX_VALUE) {
    errors.push(name + " is not an int");
    return 0;
  }
  return <i32>v;
}

// Fills cmd from the header bytes; returns an error message or null.
export function decodeJsonHeader(header: Uint8Array, cmd: RemotingCommand): string | null {
  const text = String.UTF8.decodeUnsafe(header.dataStart, <usize>header.length);
  const top = scanObject(text, 0);
  if (!top.ok) return "json header: " + top.error!;
  let end = top.end;
  while (end < text.length && text.charCodeAt(end) <= 0x20) end++;
  if (end != text.length) return "json header: trailing bytes";
  const errors: string[] = [];
  const members = top.members;
  for (let i = 0; i < members.length; i++) {
    const m = unchecked(members[i]);
    const key = m.key;
    if (key == "code") cmd.code = intMember(text, m, key, errors);
    else if (key == "version") cmd.version = intMember(text, m, key, errors);
    else if (key == "opaque") cmd.opaque = intMember(text, m, key, errors);
    else if (key == "flag") cmd.flag = intMember(text, m, key, errors);
    else if (key == "language") {
      const name = stringAt(text, m.start, m.end);
      if (name !== null) cmd.language = languageCode(name);
      else if (text.substring(m.start, m.end) == "null") cmd.language = LANGUAGE_JAVA;
      else errors.push("language is not a string");
    } else if (key == "remark") {
      const r = stringAt(text, m.start, m.end);
      if (r === null && text.substring(m.start, m.end) != "null") errors.push("remark is not a string");
      cmd.remark = r;
    } else if (key == "extFields") {
      cmd.extFields = new ExtFields();
      if (text.substring(m.start, m.end) == "null") continue;
      const err = decodeExtFields(text, m.start, cmd.extFields);
      if (err !== null) errors.push(err);
    }
    // serializeTypeCurrentRPC and unknown members are kept only in the layout.
  }
  if (errors.length > 0) return "json header: " + errors[0];
  cmd.layout = new JsonLayout(
    header.slice(0), text, members,
    cmd.code, cmd.language, cmd.version, cmd.opaque, cmd.flag, cmd.remark,
  );
  return null;
}

// extFields values are strings; fastjson would also turn a number, boolean or
// nested JSON into its text for a String field, and we do the same.
function decodeExtFields(text: string, at: i32, ext: ExtFields): string | null {
  const obj = scanObject(text, at);
  if (!obj.ok) return "extFields: " + obj.error!;
  for (let i = 0; i < obj.members.length; i++) {
    const m = unchecked(obj.members[i]);
    const raw = text.substring(m.keyStart, m.end);
    if (text.charCodeAt(m.start) == 0x22) {
      const v = stringAt(text, m.start, m.end);
      if (v === null) return "extFields: bad string for " + m.key;
      ext.add(m.key, v, raw);
    } else {
      const token = text.substring(m.start, m.end);
      ext.add(m.key, token == "null" ? "" : token, raw);
    }
  }
  return null;
}

function unchanged(cmd: RemotingCommand, l: JsonLayout): bool {
  return cmd.code == l.code && cmd.language == l.language && cmd.version == l.version &&
    cmd.opaque == l.opaque && cmd.flag == l.flag && cmd.remark == l.remark && !cmd.extFields.dirty;
}

// fastjson's member order for a bean; used for members a header lacked.
const ORDER: string[] = ["code", "extFields", "flag", "language", "opaque", "remark", "serializeTypeCurrentRPC", "version"];

class Out {
  buf: StrBuf = new StrBuf(256);
  first: bool = true;
  key(k: string): StrBuf {
    if (!this.first) this.buf.code(0x2c);
    this.first = false;
    return this.buf.str(quoteJson(k)).code(0x3a);
  }
  raw(text: string, start: i32, end: i32): void {
    if (!this.first) this.buf.code(0x2c);
    this.first = false;
    this.buf.slice(text, start, end);
  }
}

function writeExt(out: Out, ext: ExtFields): void {
  const b = out.key("extFields").code(0x7b);
  for (let i = 0; i < ext.length; i++) {
    if (i > 0) b.code(0x2c);
    const raw = ext.rawAt(i);
    if (raw !== null) b.str(raw);
    else b.str(quoteJson(ext.keyAt(i))).code(0x3a).str(quoteJson(ext.valueAt(i)));
  }
  b.code(0x7d);
}

function languageText(code: i32): string {
  const name = languageName(code);
  return quoteJson(name.length > 0 ? name : "OTHER");
}

// Writes one known member from the command (a null remark is left out).
function writeKnown(out: Out, name: string, cmd: RemotingCommand): void {
  if (name == "code") out.key(name).str(cmd.code.toString());
  else if (name == "flag") out.key(name).str(cmd.flag.toString());
  else if (name == "opaque") out.key(name).str(cmd.opaque.toString());
  else if (name == "version") out.key(name).str(cmd.version.toString());
  else if (name == "language") out.key(name).str(languageText(cmd.language));
  else if (name == "serializeTypeCurrentRPC") out.key(name).str("\"JSON\"");
  else if (name == "extFields") writeExt(out, cmd.extFields);
  else if (name == "remark") {
    const r = cmd.remark;
    if (r !== null) out.key(name).str(quoteJson(r));
  }
}

// Whether a known member absent from the decoded header must now be written:
// only when its value differs from what Java assumes for a missing one.
function needed(name: string, cmd: RemotingCommand, fromScratch: bool): bool {
  if (name == "remark") return cmd.remark !== null;
  if (name == "extFields") return cmd.extFields.length > 0;
  if (fromScratch) return true;
  if (name == "code") return cmd.code != 0;
  if (name == "flag") return cmd.flag != 0;
  if (name == "opaque") return cmd.opaque != 0;
  if (name == "version") return cmd.version != 0;
  if (name == "language") return cmd.language != LANGUAGE_JAVA;
  return false;
}

export function encodeJsonHeader(cmd: RemotingCommand): Uint8Array {
  const l = cmd.layout;
  if (l && unchanged(cmd, l)) return l.bytes;
  const out = new Out();
  out.buf.code(0x7b);
  const seen = new Set<string>();
  if (l) {
    const text = l.text;
    for (let i = 0; i < l.members.length; i++) {
      const m = unchecked(l.members[i]);
      const k = m.key;
      seen.add(k);
      let same = true;
      if (k == "code") same = cmd.code == l.code;
      else if (k == "flag") same = cmd.flag == l.flag;
      else if (k == "opaque") same = cmd.opaque == l.opaque;
      else if (k == "version") same = cmd.version == l.version;
      else if (k == "language") same = cmd.language == l.language;
      else if (k == "remark") same = cmd.remark == l.remark;
      else if (k == "extFields") same = !cmd.extFields.dirty;
      if (same) out.raw(text, m.keyStart, m.end);
      else writeKnown(out, k, cmd);
    }
  }
  for (let i = 0; i < ORDER.length; i++) {
    const k = unchecked(ORDER[i]);
    if (!seen.has(k) && needed(k, cmd, l === null)) writeKnown(out, k, cmd);
  }
  out.buf.code(0x7d);
  return Uint8Array.wrap(String.UTF8.encode(out.buf.toString()));
}
