// Base of every typed Kafka request/response body, so a filter can hold
// "some decoded body" and call decode/encode without knowing the API. The
// tagged-field section (flexible versions) is read and written through
// TaggedFields.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { TaggedFields } from "./primitives";

export class KafkaMessage extends TaggedFields {
  constructor(public apiKey: i16, public isRequest: bool) {
    super();
  }

  // Reads the body of the given version; errors are left on the reader.
  decode(r: BytesReader, v: i16): void {}

  // Writes the body of the given version.
  encode(w: BytesWriter, v: i16): void {}

  // JSON-ish summary of the fields the version carries.
  toJson(v: i16): string {
    return "{}";
  }
}
