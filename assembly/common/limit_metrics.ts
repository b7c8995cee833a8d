// The metrics every filter keeps for its quotas and limits, per rule, named
// after the filter so each filter's README can list them:
//
//   mqmesh_<filter>_throttled_requests_total{rule,principal}   requests held back or refused
//   mqmesh_<filter>_throttle_time_milliseconds_total{rule}     the waits they were given
//   mqmesh_<filter>_bytes_over_limit_total{rule}               bytes beyond a byte rate
//
// One place so the names and labels cannot drift between filters. The
// principal label is capped (labelled_metrics.ts LabelCap) like topics are:
// clients choose their client ids and SASL users.
import { CounterFamily, LabelCap } from "./labelled_metrics";
import { Identity } from "./identity";

export class LimitMetrics {
  readonly throttledRequests: CounterFamily;
  readonly throttleTimeMs: CounterFamily;
  readonly bytesOverLimit: CounterFamily;
  private principals: LabelCap;

  /** filter: the name in the metric, e.g. "kafka", "rocketmq_grpc". */
  constructor(filter: string, maxPrincipals: i32 = 100) {
    const prefix = "mqmesh_" + filter + "_";
    this.throttledRequests = new CounterFamily(prefix + "throttled_requests_total", ["rule", "principal"]);
    this.throttleTimeMs = new CounterFamily(prefix + "throttle_time_milliseconds_total", ["rule"]);
    this.bytesOverLimit = new CounterFamily(prefix + "bytes_over_limit_total", ["rule"]);
    this.principals = new LabelCap(maxPrincipals);
  }

  /** A request of `rule` was throttled or refused for waitMs; overBytes of
   *  it went beyond a byte rate (0 for request and message rates). */
  throttled(rule: string, who: Identity, waitMs: i64, overBytes: i64 = 0): void {
    this.throttledRequests.add([rule, this.principals.resolve(who.label())]);
    if (waitMs > 0) this.throttleTimeMs.add([rule], <u64>waitMs);
    if (overBytes > 0) this.bytesOverLimit.add([rule], <u64>overBytes);
  }
}
