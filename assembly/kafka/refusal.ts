// The answer a policy gives after a resource scan (requestResources in
// api/registry.ts), in the API's own terms.
import { KafkaMessage } from "./message";
import { errorResponse, mergeResponse } from "./api/registry";

// The whole request refused (scan.whole): every entry carries `code`,
// including the entries the scan dropped into `denied` before it met the
// resource that refuses the request. Null when the API has no codec.
export function refuseWhole(apiKey: i32, v: i16, request: KafkaMessage, denied: KafkaMessage | null, code: i16): KafkaMessage | null {
  const answer = errorResponse(apiKey, request, v, code);
  if (answer !== null && denied !== null) mergeResponse(apiKey, answer, errorResponse(apiKey, denied, v, code)!);
  return answer;
}

// The broker's answer to what the scan left of a request, with the denied
// entries answered by `code` added to it.
export function addRefusals(apiKey: i32, v: i16, brokerAnswer: KafkaMessage, denied: KafkaMessage, code: i16): void {
  const part = errorResponse(apiKey, denied, v, code);
  if (part !== null) mergeResponse(apiKey, brokerAnswer, part);
}
