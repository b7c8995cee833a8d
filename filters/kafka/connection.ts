// One client connection through the sidecar: requests flow downstream ->
// upstream, responses back. Each direction is a FrameStream; the observers
// decide per frame what to keep, look at or replace, and the exchanges
// waiting for their responses live here, so they go with the connection.
import { FramedConnection } from "../../assembly/common/framed_connection";
import { FrameStream } from "../../assembly/common/frame_stream";
import { InOrder } from "../../assembly/common/pipeline/inflight";
import { SaslSession } from "../../assembly/kafka/sasl";
import { KafkaExchange } from "./exchange";
import { RequestObserver } from "./requests";
import { ResponseObserver } from "./responses";
import { KafkaRoot } from "./root";

// Requests remembered while they wait for their response: a client that
// never reads its responses must not grow this forever.
const MAX_INFLIGHT = 4096;

export class KafkaConnection extends FramedConnection {
  private readonly exchanges: InOrder<KafkaExchange> = new InOrder<KafkaExchange>(MAX_INFLIGHT);
  private readonly requests!: FrameStream;
  private readonly responses!: FrameStream;

  constructor(id: u32, root: KafkaRoot) {
    super(id, root, "kafka");
    const config = root.config;
    // The SASL user (PLAIN, SCRAM in plaintext), for policies' user: principals.
    const sasl = new SaslSession();
    this.requests = new FrameStream(new RequestObserver(root.metrics, config, this.exchanges, root.pipeline, this.session, sasl), config.maxFrameBytes);
    this.responses = new FrameStream(new ResponseObserver(root.metrics, config, this.exchanges, root.pipeline, this.session, sasl), config.maxFrameBytes);
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
    const root = this.root as KafkaRoot;
    root.metrics.connections.add(-1);
    const exchanges = this.exchanges;
    if (!root.pipeline.empty) for (let i = 0; i < exchanges.size; i++) root.pipeline.done(exchanges.at(i), true);
  }
}
