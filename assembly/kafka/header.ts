// Kafka request and response headers.
//
// Request header v0: api key, api version, correlation id (only ever used by
// ControlledShutdown v0, an API Kafka 4 removed). v1 adds the nullable client
// id. v2 (flexible APIs) adds a tagged-field section, but the client id keeps
// its int16 length even there, so any broker can read the header of an
// ApiVersions request of a version it does not know.
// Response header v0: correlation id; v1 (flexible APIs) adds tagged fields,
// except that ApiVersions responses always use v0: the client parses the
// response before it knows which versions the broker speaks.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { ApiKey, firstFlexibleVersion } from "./api_keys";
import { TaggedFields, jsonString, readNullableString, readTags, writeNullableString, writeRawTags } from "./primitives";

// Request header version for an API/version; -1 when the API key is unknown
// (its body layout is then unknown too, but the v1 prefix can still be read).
export function requestHeaderVersion(apiKey: i16, apiVersion: i16): i16 {
  if (apiKey == ApiKey.ControlledShutdown && apiVersion == 0) return 0;
  const f = firstFlexibleVersion(apiKey);
  if (f < 0) return -1;
  return apiVersion >= f ? 2 : 1;
}

export function responseHeaderVersion(apiKey: i16, apiVersion: i16): i16 {
  if (apiKey == ApiKey.ApiVersions) return 0;
  const f = firstFlexibleVersion(apiKey);
  if (f < 0) return -1;
  return apiVersion >= f ? 1 : 0;
}

// Header tags are all unknown to this codec: TaggedFields keeps them raw.
export class RequestHeader extends TaggedFields {
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  correlationId: i32 = 0;
  clientId: string | null = null;

  // Reads the header; headerVersion < 0 derives it from the api key/version
  // (and reads the v1 layout for unknown keys).
  decode(r: BytesReader, headerVersion: i16 = -1): void {
    this.apiKey = r.i16();
    this.apiVersion = r.i16();
    this.correlationId = r.i32();
    let hv = headerVersion;
    if (hv < 0) hv = requestHeaderVersion(this.apiKey, this.apiVersion);
    if (hv < 0) hv = 1;
    if (hv >= 1) this.clientId = readNullableString(r, false);
    if (hv >= 2) readTags(r, this, 0);
  }

  encode(w: BytesWriter, headerVersion: i16 = -1): void {
    let hv = headerVersion;
    if (hv < 0) hv = requestHeaderVersion(this.apiKey, this.apiVersion);
    if (hv < 0) hv = 1;
    w.i16(this.apiKey);
    w.i16(this.apiVersion);
    w.i32(this.correlationId);
    if (hv >= 1) writeNullableString(w, this.clientId, false);
    if (hv >= 2) writeRawTags(w, this.unknownTags);
  }

  toJson(): string {
    return (
      '{"apiKey":' + this.apiKey.toString() + ',"apiVersion":' + this.apiVersion.toString() +
      ',"correlationId":' + this.correlationId.toString() + ',"clientId":' + jsonString(this.clientId) + "}"
    );
  }
}

export class ResponseHeader extends TaggedFields {
  correlationId: i32 = 0;

  decode(r: BytesReader, headerVersion: i16): void {
    this.correlationId = r.i32();
    if (headerVersion >= 1) readTags(r, this, 0);
  }

  encode(w: BytesWriter, headerVersion: i16): void {
    w.i32(this.correlationId);
    if (headerVersion >= 1) writeRawTags(w, this.unknownTags);
  }
}
