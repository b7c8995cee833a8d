// One client connection through the sidecar: requests flow downstream ->
// upstream, responses back. Each direction is a FrameStream; the observers
// decide per frame what to keep, look at or replace.
import { FramedConnection } from "../../assembly/common/framed_connection";
import { FrameStream } from "../../assembly/common/frame_stream";
import { InflightRequests } from "./inflight";
import { RequestObserver } from "./requests";
import { ResponseObserver } from "./responses";
import { KafkaRoot } from "./root";

export class KafkaConnection extends FramedConnection {
  private readonly requests: FrameStream;
  private readonly responses: FrameStream;

  constructor(id: u32, root: KafkaRoot) {
    super(id, root, "kafka");
    const inflight = new InflightRequests();
    const config = root.config;
    this.requests = new FrameStream(new RequestObserver(root.metrics, config, inflight, root.requestInterceptors), config.maxFrameBytes);
    this.responses = new FrameStream(new ResponseObserver(root.metrics, config, inflight, root.responseInterceptors), config.maxFrameBytes);
  }

  protected clientFrames(): FrameStream {
    return this.requests;
  }

  protected serverFrames(): FrameStream {
    return this.responses;
  }

  protected onOpened(): void {
    (this.root as KafkaRoot).metrics.connections.add(1);
  }

  protected onClosed(): void {
    (this.root as KafkaRoot).metrics.connections.add(-1);
  }
}
