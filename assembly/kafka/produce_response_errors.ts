// The error codes of a Produce response (v3-13), read in place.
//
// Hand-written next to the generated codec because this is the hot path:
// every produce request's answer goes by the filter, which only counts its
// error codes, and a full ProduceResponse.decode allocates objects per topic,
// partition and string. Held responses (interceptors) are still decoded.
//
// It walks the same layout as ProduceResponse.decode with the same length
// checks, tagged fields skipped by their sizes (the decoder also checks the
// insides of the tags it knows), and reports the same codes as
// collectResponseErrors: test/kafka/produce_response_errors.test.ts compares
// both on responses of every version and on their truncations.
import { BytesReader } from "../common/bytes_reader";
import { readArrayLengthNotNull, skipNullableString, skipString, skipTaggedFields } from "./primitives";

// frame: the response after its size prefix (header included). Non-zero
// codes are appended to `out`. Returns the number of the response's
// top-level tagged fields (v10+: NodeEndpoints, the leaders a broker names
// after NOT_LEADER_OR_FOLLOWER), or -1 when the frame is not a well-formed
// Produce response of `version` (then `out` may hold a part).
export function scanProduceResponseErrors(version: i16, frame: Uint8Array, out: Array<i16>): i32 {
  const flex = version >= 9;
  const r = new BytesReader(frame);
  r.skip(4); // correlation id
  if (flex) skipTaggedFields(r);
  const topics = readArrayLengthNotNull(r, flex);
  for (let t = 0; t < topics && r.ok; t++) {
    if (version >= 13) r.skip(16); // topic id
    else skipString(r, flex);
    const partitions = readArrayLengthNotNull(r, flex);
    for (let p = 0; p < partitions && r.ok; p++) {
      r.skip(4); // index
      const code = r.i16();
      if (code != 0 && r.ok) out.push(code);
      r.skip(version >= 5 ? 24 : 16); // base offset, log append time[, log start offset]
      if (version >= 8) {
        const recordErrors = readArrayLengthNotNull(r, flex);
        for (let e = 0; e < recordErrors && r.ok; e++) {
          r.skip(4); // batch index
          skipNullableString(r, flex);
          if (flex) skipTaggedFields(r);
        }
        skipNullableString(r, flex); // error message
      }
      if (flex) skipTaggedFields(r);
    }
    if (flex) skipTaggedFields(r);
  }
  r.skip(4); // throttle time (v1+)
  const topLevelTags = flex ? skipTaggedFields(r) : 0;
  return r.ok && r.remaining == 0 ? topLevelTags : -1;
}
