// Whole-command decoding and encoding: frame split plus the header in
// whichever serialization the frame says. Errors are values; nothing here
// traps on input.
import { RemotingCommand, SERIALIZE_ROCKETMQ } from "./command";
import { encodeFrame, splitFrame } from "./frame";
import { decodeBinaryHeader, encodeBinaryHeader } from "./header_binary";
import { decodeJsonHeader, encodeJsonHeader } from "./header_json";

export class DecodeResult {
  constructor(public command: RemotingCommand | null, public error: string | null) {}
  get ok(): bool {
    return this.error === null;
  }
}

// Decodes a complete frame (the bytes after the length prefix). The body
// stays a view into `frame`.
export function decodeCommand(frame: Uint8Array): DecodeResult {
  const parts = splitFrame(frame);
  if (!parts.ok) return new DecodeResult(null, parts.error);
  const cmd = new RemotingCommand();
  cmd.serializeType = parts.serializeType;
  const err = parts.serializeType == SERIALIZE_ROCKETMQ
    ? decodeBinaryHeader(parts.header, cmd)
    : decodeJsonHeader(parts.header, cmd);
  if (err !== null) return new DecodeResult(null, err);
  cmd.body = parts.body;
  return new DecodeResult(cmd, null);
}

// The header alone, in the command's serializeType.
export function encodeHeader(cmd: RemotingCommand): Uint8Array {
  return cmd.serializeType == SERIALIZE_ROCKETMQ ? encodeBinaryHeader(cmd) : encodeJsonHeader(cmd);
}

// The whole frame, length prefix included, ready for the wire.
export function encodeCommand(cmd: RemotingCommand): Uint8Array {
  return encodeFrame(cmd.serializeType, encodeHeader(cmd), cmd.body);
}
