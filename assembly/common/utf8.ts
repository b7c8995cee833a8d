// UTF-8 -> string exactly as the WHATWG Encoding Standard decodes (what
// TextDecoder, browsers and Node do): each maximal invalid subpart becomes one
// U+FFFD and decoding resumes at the offending byte. AssemblyScript's
// String.UTF8.decode instead lets a bad lead byte swallow the bytes after it,
// quote characters included, so a JSON body with one stray byte would be read
// with different structure than any other parser sees: a parser differential
// an ACL must not have.

import { StrBuf } from "./strbuf";

export function decodeUtf8(ptr: usize, len: i32): string {
  const out = new StrBuf(len);
  let needed = 0;
  let seen = 0;
  let cp: u32 = 0;
  let lower: u32 = 0x80;
  let upper: u32 = 0xbf;
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + <usize>i);
    if (needed == 0) {
      if (b < 0x80) out.code(b);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0) lower = 0xa0; // no overlong forms
        if (b == 0xed) upper = 0x9f; // no surrogates
        needed = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0) lower = 0x90;
        if (b == 0xf4) upper = 0x8f; // nothing above U+10FFFF
        needed = 3;
        cp = b & 0x07;
      } else out.code(0xfffd);
      continue;
    }
    if (b < lower || b > upper) {
      needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      out.code(0xfffd);
      i--; // this byte starts afresh
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen < needed) continue;
    if (cp >= 0x10000) {
      out.code(0xd800 + ((cp - 0x10000) >> 10));
      out.code(0xdc00 + (cp & 0x3ff));
    } else out.code(cp);
    needed = seen = 0;
  }
  if (needed) out.code(0xfffd);
  return out.toString();
}

export function decodeUtf8Buffer(data: ArrayBuffer): string {
  return decodeUtf8(changetype<usize>(data), data.byteLength);
}
