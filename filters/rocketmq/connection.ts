// One client connection through the sidecar: bytes from the client flow
// downstream -> upstream, bytes from the server back. Each direction is a
// FrameStream whose handler peeks every frame; requests can travel both
// ways (the broker also asks clients), so each side tracks both queues.
import { FramedConnection } from "../../assembly/common/framed_connection";
import { FrameStream } from "../../assembly/common/frame_stream";
import { DirectionObserver } from "./direction";
import { InflightRequests } from "./inflight";
import { RocketMQRoot } from "./root";

export class RocketMQConnection extends FramedConnection {
  private readonly fromClient: FrameStream;
  private readonly fromServer: FrameStream;

  constructor(id: u32, root: RocketMQRoot) {
    super(id, root, "rocketmq");
    const config = root.config;
    const clientRequests = new InflightRequests(config.maxInflight);
    const serverRequests = new InflightRequests(config.maxInflight);
    this.fromClient = new FrameStream(new DirectionObserver(root.metrics, config, root.acl, true, clientRequests, serverRequests), config.maxFrameBytes);
    this.fromServer = new FrameStream(new DirectionObserver(root.metrics, config, root.acl, false, serverRequests, clientRequests), config.maxFrameBytes);
  }

  protected clientFrames(): FrameStream {
    return this.fromClient;
  }

  protected serverFrames(): FrameStream {
    return this.fromServer;
  }

  protected onOpened(): void {
    (this.root as RocketMQRoot).metrics.connections.add(1);
  }

  protected onClosed(): void {
    (this.root as RocketMQRoot).metrics.connections.add(-1);
  }
}
