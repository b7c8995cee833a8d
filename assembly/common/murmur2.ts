// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) and the
// keyed-partition choice of Kafka's Java producer, so a keyed record we
// produce lands on the partition a Java (or librdkafka "murmur2_random",
// or kafkajs DefaultPartitioner) client would pick. Java's int arithmetic
// is wrapping 32-bit, which i32 in Wasm is too.

const SEED: u32 = 0x9747b28c;
const M: u32 = 0x5bd1e995;

/** murmur2 of data[start, end) (clamped to the array), as a signed 32-bit
 *  value like Java's int. */
export function murmur2(data: Uint8Array, start: i32 = 0, end: i32 = i32.MAX_VALUE): i32 {
  if (start < 0) start = 0;
  if (end > data.length) end = data.length;
  if (end < start) end = start;
  return murmur2Raw(data.dataStart + <usize>start, end - start);
}

export function murmur2Raw(ptr: usize, length: i32): i32 {
  let h: u32 = SEED ^ <u32>length;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    let k = load<u32>(ptr + (<usize>i << 2)); // little-endian, as Java assembles it
    k *= M;
    k ^= k >>> 24;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = ptr + (<usize>blocks << 2);
  const rest = length & 3;
  // Java's switch falls through from case 3 to case 1.
  if (rest == 3) h ^= <u32>load<u8>(tail, 2) << 16;
  if (rest >= 2) h ^= <u32>load<u8>(tail, 1) << 8;
  if (rest >= 1) {
    h ^= <u32>load<u8>(tail);
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return <i32>h;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(h: i32): i32 {
  return h & 0x7fffffff;
}

/** Partition of a non-null key among numPartitions, as Kafka's Java producer
 *  chooses it: toPositive(murmur2(key)) % numPartitions. -1 if numPartitions
 *  is not positive. (Null keys are spread by the sticky partitioner in Java;
 *  that choice is ours to make and not covered here.) */
export function partitionForKey(key: Uint8Array, numPartitions: i32, start: i32 = 0, end: i32 = i32.MAX_VALUE): i32 {
  if (numPartitions <= 0) return -1;
  return toPositive(murmur2(key, start, end)) % numPartitions;
}
