// Requests waiting for their response on one connection. Kafka answers the
// requests of a connection in the order they were sent, so a FIFO suffices;
// requests that get no response (acks=0 produce, or a frame too large to be
// read) are skipped over when a later correlation id answers.
export class InflightRequest {
  // Set by an interceptor that answered the request itself: sent to the
  // client in place of the broker's response (empty = send nothing, for a
  // request the client expects no answer to).
  syntheticResponse: Uint8Array | null = null;

  constructor(
    readonly correlationId: i32,
    readonly apiKey: i16,
    readonly apiVersion: i16,
    readonly startNanos: u64,
  ) {}
}

const MAX_INFLIGHT = 4096;

export class InflightRequests {
  private queue: InflightRequest[] = [];
  private head: i32 = 0;

  get size(): i32 {
    return this.queue.length - this.head;
  }

  add(request: InflightRequest): void {
    // A client that never reads its responses must not grow this forever.
    if (this.size >= MAX_INFLIGHT) this.head++;
    this.queue.push(request);
    this.compact();
  }

  // The request a response answers, removed with every older one.
  take(correlationId: i32): InflightRequest | null {
    for (let i = this.head; i < this.queue.length; i++) {
      const request = this.queue[i];
      if (request.correlationId == correlationId) {
        this.head = i + 1;
        this.compact();
        return request;
      }
    }
    return null;
  }

  // A request known to get no response (acks=0): forget it if it is the newest.
  dropNewest(correlationId: i32): void {
    const last = this.queue.length - 1;
    if (last >= this.head && this.queue[last].correlationId == correlationId) this.queue.pop();
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
