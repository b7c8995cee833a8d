// Route rewrite: every broker address in a successful GET_ROUTEINFO_BY_TOPIC
// answer is replaced by the sidecar's own listener (routeRewrite.address),
// so remoting clients send and consume through it. The header and every
// other body byte stay as the server wrote them; an answer whose body
// cannot be read goes out unchanged (counted as failed).
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { encodeFrame, splitFrame } from "../../assembly/rocketmq/frame";
import { rewriteRouteAddresses } from "../../assembly/rocketmq/route";
import { GET_ROUTEINFO_BY_TOPIC } from "../../assembly/rocketmq/request_codes";
import { SUCCESS } from "../../assembly/rocketmq/response_codes";
import { RemotingResponse, RocketMQExchange, RocketMQInterceptor } from "./exchange";
import { RocketMQMetrics } from "./metrics";

export class RouteRewriter extends RocketMQInterceptor {
  constructor(private address: string, private metrics: RocketMQMetrics) {
    super();
  }

  handlesResponse(code: i32, version: i16): bool {
    return code == GET_ROUTEINFO_BY_TOPIC;
  }

  onResponseHead(x: RocketMQExchange, head: FrameHead): Verdict {
    if (x.responseCode != SUCCESS) return Verdict.Pass;
    if (head.oversize) {
      this.metrics.routeRewrites.add(["failed"]);
      this.metrics.unparsed.add(["oversize"]);
      return Verdict.Pass;
    }
    return Verdict.Hold;
  }

  onResponse(x: RocketMQExchange, response: RemotingResponse): void {
    const parts = splitFrame(response.bytes);
    if (parts.ok) {
      const rewrite = rewriteRouteAddresses(parts.body, this.address);
      if (rewrite.ok) {
        this.metrics.routeRewrites.add(["rewritten"]);
        response.replace(encodeFrame(parts.serializeType, parts.header, rewrite.body));
        return;
      }
    }
    this.metrics.routeRewrites.add(["failed"]);
  }
}
