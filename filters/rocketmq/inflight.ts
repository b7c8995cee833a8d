// Requests waiting for their response in one direction of a connection.
// Remoting answers out of order (a long-polling pull may be answered after
// many sends), so a response is matched by its opaque, not by position.
// Oneway requests are never added: no response comes for them.
export class InflightRequest {
  // Set for consume requests once their header is read: the labels their
  // response's messages are counted under.
  topic: string | null = null;
  group: string | null = null;
  // Set when the ACL denied the request (acl.ts): the client gets this frame
  // instead of the server's answer to the stand-in.
  synthetic: Uint8Array | null = null;

  constructor(
    readonly opaque: i32,
    readonly code: i32,
    readonly codeLabel: string,
    readonly startNanos: u64,
  ) {}
}

export class InflightRequests {
  private byOpaque: Map<i32, InflightRequest> = new Map<i32, InflightRequest>();
  // Opaques in arrival order, to forget the oldest when a peer never answers.
  private ring: StaticArray<i32>;
  private next: i32 = 0;
  evicted: u64 = 0;

  constructor(private capacity: i32) {
    this.ring = new StaticArray<i32>(capacity);
  }

  get size(): i32 {
    return this.byOpaque.size;
  }

  add(request: InflightRequest): void {
    if (this.byOpaque.size >= this.capacity) {
      // The slot about to be reused names the oldest opaque still possibly
      // waiting (answered ones are gone already: deleting them is a no-op).
      const old = unchecked(this.ring[this.next]);
      if (this.byOpaque.has(old)) {
        this.byOpaque.delete(old);
        this.evicted++;
      }
    }
    if (this.byOpaque.size >= this.capacity) {
      // Slots of answered requests were reused: start over rather than scan.
      this.evicted += <u64>this.byOpaque.size;
      this.byOpaque.clear();
    }
    unchecked((this.ring[this.next] = request.opaque));
    this.next = (this.next + 1) % this.capacity;
    this.byOpaque.set(request.opaque, request);
  }

  // The request a response answers, or null; removed either way.
  take(opaque: i32): InflightRequest | null {
    if (!this.byOpaque.has(opaque)) return null;
    const request = this.byOpaque.get(opaque);
    this.byOpaque.delete(opaque);
    return request;
  }
}

