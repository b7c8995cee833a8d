// RemotingCommand, the one message type of the remoting protocol: requests,
// responses and oneway requests all share this header. Encoding and decoding
// live in codec.ts; this file is the model and the builders a filter needs.
import { ExtFields } from "./ext_fields";
import { Member } from "./fastjson";
import { LANGUAGE_JAVA } from "./language";

// Serialization of the header, the top byte of the header-length word.
export const SERIALIZE_JSON: u8 = 0;
export const SERIALIZE_ROCKETMQ: u8 = 1;

// RemotingCommand flag bits: bit 0 (RPC_TYPE) marks a response, bit 1
// (RPC_ONEWAY) a request that gets no response.
export const FLAG_RESPONSE: i32 = 1;
export const FLAG_ONEWAY: i32 = 2;

// How a JSON header was written, kept so re-encoding copies every member
// that did not change (field order, unknown fields, number and escape
// spelling) instead of re-serializing it.
export class JsonLayout {
  constructor(
    public bytes: Uint8Array, // the header exactly as received
    public text: string,
    public members: Member[],
    public code: i32,
    public language: i32,
    public version: i32,
    public opaque: i32,
    public flag: i32,
    public remark: string | null,
  ) {}
}

export class RemotingCommand {
  code: i32 = 0;
  // LanguageCode byte (see language.ts); -1 for a JSON name we do not know.
  language: i32 = LANGUAGE_JAVA;
  version: i32 = 0;
  opaque: i32 = 0;
  flag: i32 = 0;
  remark: string | null = null;
  extFields: ExtFields = new ExtFields();
  serializeType: u8 = SERIALIZE_JSON;
  // A view into the decoded frame, or bytes set by the caller.
  body: Uint8Array = new Uint8Array(0);
  // Set by the JSON decoder; null for commands built here or read as binary.
  layout: JsonLayout | null = null;

  get isResponse(): bool {
    return (this.flag & FLAG_RESPONSE) != 0;
  }

  get isOneway(): bool {
    return (this.flag & FLAG_ONEWAY) != 0;
  }

  // A request with an opaque the caller chose (use one the client does not
  // have in flight, or the opaque of the request being substituted).
  static request(code: i32, opaque: i32, serializeType: u8 = SERIALIZE_JSON): RemotingCommand {
    const c = new RemotingCommand();
    c.code = code;
    c.opaque = opaque;
    c.serializeType = serializeType;
    return c;
  }

  // The response a broker would send to `req`: same opaque, so the client
  // matches it to its pending call, same serialization and version, the
  // response bit set. Oneway requests expect none; callers check isOneway.
  static responseTo(req: RemotingCommand, code: i32, remark: string | null): RemotingCommand {
    const c = new RemotingCommand();
    c.code = code;
    c.version = req.version;
    c.opaque = req.opaque;
    c.flag = FLAG_RESPONSE;
    c.remark = remark;
    c.serializeType = req.serializeType;
    return c;
  }
}
