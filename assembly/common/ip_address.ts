// IP addresses in text form to bytes, for CIDR matching (event_pattern.ts,
// principal.ts).
// Strict: IPv4 is a dotted quad of decimal octets without leading zeros;
// IPv6 follows RFC 4291's text forms without zone ids. Pure, never traps.

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address in text form, or null. */
export function parseIp(s: string): Uint8Array | null {
  if (s.indexOf(":") >= 0) return parseIpv6(s);
  return parseIpv4(s);
}

// Dotted quad, decimal, no leading zeros (they read as octal elsewhere).
function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length != 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (p.length == 0 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) == 0x30)) return null;
    let n = 0;
    for (let k = 0; k < p.length; k++) {
      const c = p.charCodeAt(k);
      if (c < 0x30 || c > 0x39) return null;
      n = n * 10 + (c - 0x30);
    }
    if (n > 255) return null;
    out[i] = <u8>n;
  }
  return out;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

// RFC 4291 text: eight groups, one "::" for a run of zeros, and an IPv4
// dotted quad allowed as the last 32 bits. No zone ids.
function parseIpv6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const gap = s.indexOf("::");
  if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) return null;
  const head = gap >= 0 ? s.substring(0, gap) : s;
  const tail = gap >= 0 ? s.substring(gap + 2) : "";
  const front = groups(head, gap < 0);
  const back = gap >= 0 ? groups(tail, true) : new Array<i32>(0);
  if (front == null || back == null) return null;
  const n = front.length + back.length;
  if (gap < 0 ? n != 8 : n > 7) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < front.length; i++) {
    out[i * 2] = <u8>(front[i] >> 8);
    out[i * 2 + 1] = <u8>front[i];
  }
  const start = 8 - back.length;
  for (let i = 0; i < back.length; i++) {
    out[(start + i) * 2] = <u8>(back[i] >> 8);
    out[(start + i) * 2 + 1] = <u8>back[i];
  }
  return out;
}

// 16-bit groups of one side of "::"; the last group may be an IPv4 quad
// (two groups) when `last` says this side ends the address.
function groups(s: string, last: bool): i32[] | null {
  const out = new Array<i32>(0);
  if (s.length == 0) return out;
  const parts = s.split(":");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (last && i == parts.length - 1 && p.indexOf(".") >= 0) {
      const v4 = parseIpv4(p);
      if (v4 == null) return null;
      out.push((<i32>v4[0] << 8) | v4[1]);
      out.push((<i32>v4[2] << 8) | v4[3]);
      continue;
    }
    if (p.length == 0 || p.length > 4) return null;
    let g = 0;
    for (let k = 0; k < p.length; k++) {
      const d = hexDigit(p.charCodeAt(k));
      if (d < 0) return null;
      g = (g << 4) | d;
    }
    out.push(g);
  }
  return out;
}

/** Whether addr's first `bits` bits equal net's (same family: same length). */
export function inNetwork(addr: Uint8Array, net: Uint8Array, bits: i32): bool {
  if (addr.length != net.length || bits < 0 || bits > net.length * 8) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] != net[i]) return false;
  const rest = bits & 7;
  if (rest == 0) return true;
  const mask = <u8>((<i32>0xff << (8 - rest)) & 0xff);
  return (addr[whole] & mask) == (net[whole] & mask);
}

/** A CIDR prefix length "0".."max" in decimal, -1 when the text is not one. */
export function parsePrefixLength(s: string, max: i32): i32 {
  if (s.length == 0 || s.length > 3) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= max ? n : -1;
}
