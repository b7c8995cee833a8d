// Exchanges waiting for their response on one connection, and the spare
// exchanges of that connection: an exchange is reused once it is over, so a
// connection in steady state allocates none per request.
import { Exchange } from "./exchange";

// A connection's spare exchanges (a few: a connection rarely has more
// exchanges ending at once).
class Spares<X extends Exchange> {
  private list: Array<X> = new Array<X>();

  // A spare exchange to reset, or null.
  reuse(): X | null {
    return this.list.length > 0 ? this.list.pop() : null;
  }

  recycle(x: X): void {
    if (this.list.length < 16) this.list.push(x);
  }
}

// In request order: a Kafka broker answers a connection's requests in the
// order they came, so a response matches the oldest waiting request of its
// id, and every request older than that got none (acks=0, or a frame the
// filter could not read).
export class InOrder<X extends Exchange> {
  private queue: Array<X> = new Array<X>();
  private head: i32 = 0;
  readonly spares: Spares<X> = new Spares<X>();

  constructor(private readonly capacity: i32) {}

  get size(): i32 {
    return this.queue.length - this.head;
  }

  // Adds a request; when full, returns the oldest one, given up on (its
  // client never reads its responses), else null.
  push(x: X): X | null {
    let dropped: X | null = null;
    if (this.size >= this.capacity) dropped = unchecked(this.queue[this.head++]);
    this.queue.push(x);
    this.compact();
    return dropped;
  }

  // How many waiting requests are older than the one with this id, or -1
  // when none has it (nothing is removed then).
  olderThan(id: i32): i32 {
    for (let i = this.head; i < this.queue.length; i++) {
      if (unchecked(this.queue[i]).id == id) return i - this.head;
    }
    return -1;
  }

  // Removes and returns the oldest waiting request.
  shift(): X {
    const x = unchecked(this.queue[this.head++]);
    this.compact();
    return x;
  }

  // A request known to get no response: removed if it is the newest.
  dropNewest(id: i32): bool {
    const last = this.queue.length - 1;
    if (last < this.head || unchecked(this.queue[last]).id != id) return false;
    this.queue.pop();
    return true;
  }

  // The i-th waiting request, oldest first (for closing the connection).
  at(i: i32): X {
    return unchecked(this.queue[this.head + i]);
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head == this.queue.length && this.head > 0) {
      this.queue.length = 0;
      this.head = 0;
    }
  }
}

// By id: RocketMQ answers out of order (a long-polling pull may be answered
// after many sends). When full, the oldest id is forgotten.
export class ById<X extends Exchange> {
  private byId: Map<i32, X> = new Map<i32, X>();
  // Ids in arrival order, to forget the oldest when a peer never answers.
  private ring: StaticArray<i32>;
  private next: i32 = 0;
  readonly spares: Spares<X> = new Spares<X>();
  evicted: u64 = 0;

  constructor(private readonly capacity: i32) {
    this.ring = new StaticArray<i32>(capacity);
  }

  get size(): i32 {
    return this.byId.size;
  }

  // Adds a request. Returns one given up on to make room (or that had the
  // same id), else null; when the table is full of answered slots it starts
  // over (evicted counts every request forgotten).
  add(x: X): X | null {
    let dropped: X | null = null;
    if (this.byId.size >= this.capacity) {
      // The slot about to be reused names the oldest id still possibly
      // waiting (answered ones are gone already).
      const old = unchecked(this.ring[this.next]);
      if (this.byId.has(old)) {
        dropped = this.byId.get(old);
        this.byId.delete(old);
        this.evicted++;
      }
    }
    if (this.byId.size >= this.capacity) {
      this.evicted += <u64>this.byId.size;
      this.byId.clear();
    }
    if (dropped == null && this.byId.has(x.id)) dropped = this.byId.get(x.id);
    unchecked((this.ring[this.next] = x.id));
    this.next = (this.next + 1) % this.capacity;
    this.byId.set(x.id, x);
    return dropped;
  }

  // The request a response answers, or null; removed either way.
  take(id: i32): X | null {
    if (!this.byId.has(id)) return null;
    const x = this.byId.get(id);
    this.byId.delete(id);
    return x;
  }

  // Every waiting request (for closing the connection), then empty.
  drain(): Array<X> {
    const all = this.byId.values();
    this.byId.clear();
    return all;
  }
}
