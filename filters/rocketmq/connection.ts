// One client connection through the sidecar: bytes from the client flow
// downstream -> upstream, bytes from the server back. Each direction is a
// FrameStream whose handler peeks every frame; requests can travel both
// ways (the broker also asks clients), so each side tracks both queues.
// The exchanges waiting for their responses live here and go with the
// connection.
import { FramedConnection } from "../../assembly/common/framed_connection";
import { FrameStream } from "../../assembly/common/frame_stream";
import { ById } from "../../assembly/common/pipeline/inflight";
import { DirectionObserver } from "./direction";
import { RocketMQExchange } from "./exchange";
import { RocketMQRoot } from "./root";

export class RocketMQConnection extends FramedConnection {
  private readonly clientRequests: ById<RocketMQExchange>;
  private readonly serverRequests: ById<RocketMQExchange>;
  private readonly fromClient!: FrameStream;
  private readonly fromServer!: FrameStream;

  constructor(id: u32, root: RocketMQRoot) {
    super(id, root, "rocketmq");
    const config = root.config;
    this.clientRequests = new ById<RocketMQExchange>(config.maxInflight);
    this.serverRequests = new ById<RocketMQExchange>(config.maxInflight);
    const pipeline = root.pipeline;
    this.fromClient = new FrameStream(
      new DirectionObserver(root.metrics, config, pipeline, this.session, true, this.clientRequests, this.serverRequests),
      config.maxFrameBytes,
    );
    this.fromServer = new FrameStream(
      new DirectionObserver(root.metrics, config, pipeline, this.session, false, this.serverRequests, this.clientRequests),
      config.maxFrameBytes,
    );
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
    const root = this.root as RocketMQRoot;
    root.metrics.connections.add(-1);
    if (root.pipeline.empty) return;
    const waiting = this.clientRequests.drain();
    for (let i = 0; i < waiting.length; i++) root.pipeline.done(unchecked(waiting[i]), true);
  }
}
