// A protobuf writer of the tests' own (length-delimited fields and varints),
// so gRPC requests are not built by the code under test, and the
// apache.rocketmq.v2.Resource messages requests name topics and groups with.
function varint(n: number): number[] {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) return [...out, v];
    out.push((v % 128) | 128);
  }
}

export type Field = [number, Uint8Array | number];

export function message(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [n, v] of fields) {
    if (typeof v === "number") out.push(...varint(n * 8), ...varint(v));
    else out.push(...varint(n * 8 + 2), ...varint(v.length), ...v);
  }
  return Uint8Array.from(out);
}

export const resource = (name: string) => message([[1, new TextEncoder().encode("ns")], [2, new TextEncoder().encode(name)]]);

/** A message holding one Resource named `name` at the path of field numbers. */
export function at(numbers: number[], name: string): Uint8Array {
  let inner = resource(name);
  for (let i = numbers.length - 1; i >= 1; i--) inner = message([[numbers[i], inner]]);
  return message([[numbers[0], inner]]);
}

export const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
