// A gRPC client of envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit,
// the call Envoy's rate limit filters (and mqmesh's filters, for `global`
// rules) make: to check what the service answers, independently of any filter.
// grpc-js carries the call; protobufjs encodes the messages from the schema
// below (field numbers and enum values of the v3 API's rls.proto and
// ratelimit.proto, only the fields this client uses).
import { credentials, Client, Metadata, status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import protobuf from "protobufjs";

const schema = protobuf.Root.fromJSON({
  nested: {
    rls: {
      nested: {
        RateLimitRequest: {
          fields: {
            domain: { type: "string", id: 1 },
            descriptors: { rule: "repeated", type: "RateLimitDescriptor", id: 2 },
            hitsAddend: { type: "uint32", id: 3 },
          },
        },
        RateLimitDescriptor: {
          fields: {
            entries: { rule: "repeated", type: "Entry", id: 1 },
            hitsAddend: { type: "UInt64Value", id: 3 },
          },
          nested: { Entry: { fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } } } },
        },
        UInt64Value: { fields: { value: { type: "uint64", id: 1 } } },
        Duration: { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } },
        RateLimitResponse: {
          fields: {
            overallCode: { type: "Code", id: 1 },
            statuses: { rule: "repeated", type: "DescriptorStatus", id: 2 },
          },
          nested: {
            Code: { values: { UNKNOWN: 0, OK: 1, OVER_LIMIT: 2 } },
            RateLimit: {
              fields: { requestsPerUnit: { type: "uint32", id: 1 }, unit: { type: "Unit", id: 2 }, name: { type: "string", id: 3 } },
              nested: { Unit: { values: { UNKNOWN: 0, SECOND: 1, MINUTE: 2, HOUR: 3, DAY: 4, MONTH: 5, YEAR: 6, WEEK: 7 } } },
            },
            DescriptorStatus: {
              fields: {
                code: { type: "Code", id: 1 },
                currentLimit: { type: "RateLimit", id: 2 },
                limitRemaining: { type: "uint32", id: 3 },
                durationUntilReset: { type: "Duration", id: 4 },
              },
            },
          },
        },
      },
    },
  },
});
const RequestType = schema.lookupType("rls.RateLimitRequest");
const ResponseType = schema.lookupType("rls.RateLimitResponse");

export const SHOULD_RATE_LIMIT = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

export type RateLimitCode = "UNKNOWN" | "OK" | "OVER_LIMIT";

export interface RateLimitCheck {
  domain: string;
  /** Each descriptor is a list of entries, outermost first (as in the service's configuration). */
  descriptors: { entries: { key: string; value: string }[]; hitsAddend?: number }[];
  /** How much this call counts (default 1): bytes or requests. */
  hitsAddend?: number;
}

export interface RateLimitAnswer {
  overallCode: RateLimitCode;
  statuses: {
    code: RateLimitCode;
    currentLimit?: { name?: string; requestsPerUnit: number; unit: string };
    limitRemaining: number;
    /** Seconds until the counter resets. */
    secondsUntilReset?: number;
  }[];
}

export interface RateLimitClient {
  shouldRateLimit(check: RateLimitCheck, timeoutMs?: number): Promise<RateLimitAnswer>;
  close(): void;
}

/** A plaintext HTTP/2 channel to the service at "host:port". */
export function rateLimitClient(address: string): RateLimitClient {
  const client = new Client(address, credentials.createInsecure());
  const encode = (check: RateLimitCheck) =>
    Buffer.from(
      RequestType.encode(
        RequestType.fromObject({
          domain: check.domain,
          hitsAddend: check.hitsAddend ?? 0,
          descriptors: check.descriptors.map((d) => ({ entries: d.entries, ...(d.hitsAddend === undefined ? {} : { hitsAddend: { value: d.hitsAddend } }) })),
        }),
      ).finish(),
    );
  const decode = (bytes: Buffer): RateLimitAnswer => {
    const o = ResponseType.toObject(ResponseType.decode(bytes), { enums: String, longs: Number, defaults: true }) as {
      overallCode: RateLimitCode;
      statuses: { code: RateLimitCode; currentLimit?: { name: string; requestsPerUnit: number; unit: string }; limitRemaining: number; durationUntilReset?: { seconds: number; nanos: number } }[];
    };
    return {
      overallCode: o.overallCode,
      statuses: o.statuses.map((s) => ({
        code: s.code,
        currentLimit: s.currentLimit ? { ...s.currentLimit, name: s.currentLimit.name || undefined } : undefined,
        limitRemaining: s.limitRemaining,
        secondsUntilReset: s.durationUntilReset ? s.durationUntilReset.seconds + s.durationUntilReset.nanos / 1e9 : undefined,
      })),
    };
  };
  return {
    shouldRateLimit(check, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(SHOULD_RATE_LIMIT, encode, decode, check, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, answer?: RateLimitAnswer) => {
          if (err) reject(new Error(`ShouldRateLimit at ${address}: ${grpcStatus[err.code] ?? err.code} ${err.details}`));
          else resolve(answer!);
        });
      });
    },
    close: () => client.close(),
  };
}
