// Message ids in the layout RocketMQ 5 clients generate (MessageIdCodec):
// "01" then, as upper-case hex, 6 bytes identifying the host, 2 bytes of
// process id, 4 bytes of seconds since 2021-01-01T00:00:00Z and a 4-byte
// sequence. Unique as long as (host, process) is unique per generator and
// the sequence does not wrap within one second.
const EPOCH_2021_MS: i64 = 1609459200000;
const HEX = "0123456789ABCDEF";

function hex(out: string, v: u32, bytes: i32): string {
  for (let i = bytes - 1; i >= 0; i--) {
    const b = (v >>> (<u32>i * 8)) & 0xff;
    out += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return out;
}

// `process` holds 8 bytes: host (6) and process id (2).
export function messageId(process: Uint8Array, nowMs: i64, sequence: u32): string {
  let s = "01";
  for (let i = 0; i < 8 && i < process.length; i++) s = hex(s, process[i], 1);
  const seconds = nowMs > EPOCH_2021_MS ? <u32>((nowMs - EPOCH_2021_MS) / 1000) : 0;
  s = hex(s, seconds, 4);
  return hex(s, sequence, 4);
}
