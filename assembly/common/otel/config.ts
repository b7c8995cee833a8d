// The `tracing` section, the same in every filter:
//
//   {"tracing": {"inject": "sampled", "sampling": 0.1,
//      "collector": {"cluster": "mqmesh_otlp", "authority": "jaeger",
//                    "path": "/v1/traces", "timeoutMs": 5000},
//      "serviceName": "mqmesh-kafka", "resource": {"deployment.environment": "dev"},
//      "maxQueueSpans": 2048, "maxBatchSpans": 512, "exportIntervalMs": 1000}}
//
// No section: no tracing at all. A section without `collector` propagates
// trace context (inject) but records no spans. Errors name the field
// ("tracing.collector.cluster: missing required field").
import { ConfigReader } from "../config";
import { TraceContext } from "../trace_context";

export const INJECT_ALWAYS: i32 = 0;
export const INJECT_SAMPLED: i32 = 1;
export const INJECT_OFF: i32 = 2;
const INJECT_MODES = ["always", "sampled", "off"];

export class CollectorConfig {
  // The Envoy cluster of the OTLP/HTTP collector.
  cluster: string = "";
  // :authority of the export requests; the cluster name when not given.
  authority: string = "";
  path: string = "/v1/traces";
  timeoutMs: i32 = 5000;
}

export class TracingConfig {
  // False when the filter's configuration has no `tracing` section.
  enabled: bool = false;
  inject: i32 = INJECT_SAMPLED;
  // Share of new traces (no parent context) that are recorded, 0 to 1.
  sampling: f64 = 1.0;
  collector: CollectorConfig | null = null;
  serviceName: string = "";
  resourceKeys: string[] = [];
  resourceValues: string[] = [];
  maxQueueSpans: i32 = 2048;
  maxBatchSpans: i32 = 512;
  exportIntervalMs: i32 = 1000;

  // Whether spans are recorded and exported (a collector is configured).
  get exporting(): bool {
    return this.enabled && this.collector !== null;
  }

  // Whether messages get a context whether or not their trace is sampled.
  get injectsUnsampled(): bool {
    return this.enabled && this.inject == INJECT_ALWAYS;
  }

  // Whether a message whose span has this context gets it injected.
  injects(ctx: TraceContext): bool {
    if (!this.enabled || this.inject == INJECT_OFF) return false;
    return this.inject == INJECT_ALWAYS || ctx.sampled;
  }

  // Reads `tracing` from a filter's configuration object; serviceName
  // defaults to the filter's own name.
  static read(c: ConfigReader, defaultServiceName: string): TracingConfig {
    const t = new TracingConfig();
    t.serviceName = defaultServiceName;
    if (!c.has("tracing")) {
      c.allow("tracing"); // known, so a misspelt "tracng" gets a suggestion
      return t;
    }
    const r = c.obj("tracing");
    t.enabled = true;
    t.inject = r.choice("inject", INJECT_MODES, INJECT_SAMPLED);
    t.sampling = r.num("sampling", 1.0, 0, 1);
    if (r.has("collector")) t.collector = readCollector(r.obj("collector"));
    else r.allow("collector");
    t.serviceName = r.str("serviceName", defaultServiceName);
    if (t.serviceName.length == 0) r.fail("serviceName", "must not be empty");
    readResource(r, t);
    t.maxQueueSpans = r.int("maxQueueSpans", 2048, 1, 1 << 20);
    t.maxBatchSpans = r.int("maxBatchSpans", 512, 1, 1 << 20);
    if (t.maxBatchSpans > t.maxQueueSpans) r.fail("maxBatchSpans", "must not exceed maxQueueSpans");
    t.exportIntervalMs = r.int("exportIntervalMs", 1000, 1, 3600000);
    return t;
  }
}

function readCollector(r: ConfigReader): CollectorConfig {
  const col = new CollectorConfig();
  col.cluster = r.requireStr("cluster");
  col.authority = r.str("authority", col.cluster);
  col.path = r.str("path", "/v1/traces");
  if (!col.path.startsWith("/")) r.fail("path", "must start with /");
  col.timeoutMs = r.int("timeoutMs", 5000, 1, 600000);
  return col;
}

// `resource`: string attributes of the resource; service.name comes from
// serviceName.
function readResource(r: ConfigReader, t: TracingConfig): void {
  const raw = r.value("resource");
  const res = r.obj("resource");
  if (raw === null || !raw.isObject) return;
  for (let i = 0; i < raw.length; i++) {
    const key = raw.keyAt(i);
    const value = res.str(key, "");
    if (!raw.at(i)!.isString) continue; // reported by str()
    if (key == "service.name") {
      res.fail(key, "set serviceName instead");
      continue;
    }
    t.resourceKeys.push(key);
    t.resourceValues.push(value);
  }
}
