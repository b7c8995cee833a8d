// Process-wide state that Envoy shares between the VMs of one vm_id (one
// per worker thread): the key/value store with compare-and-swap and the
// shared queues. Pass one SharedState to several ProxyHost.load calls to
// emulate several workers.

import { Status } from "./abi.ts";
import { Fail } from "./errors.ts";

export interface SharedValue {
  value: Uint8Array;
  cas: number;
}

/** What a queue notifies when an item arrives: the root context that registered it last. */
export interface QueueOwner {
  queueReady(rootContextId: number, token: number): void;
}

interface Queue {
  name: string;
  vmId: string;
  items: Uint8Array[];
  owner: QueueOwner;
  rootContextId: number;
}

export class SharedState {
  private readonly data = new Map<string, SharedValue>();
  // proxy-wasm-cpp-host starts the CAS counter at 1 and skips 0, which
  // means "no CAS check" to proxy_set_shared_data.
  private nextCas = 1;
  private readonly queues = new Map<number, Queue>();
  private readonly queueTokens = new Map<string, number>();
  private nextQueueToken = 1;

  private key(vmId: string, key: string): string {
    return `${vmId}\u0000${key}`;
  }

  get(vmId: string, key: string): SharedValue | undefined {
    return this.data.get(this.key(vmId, key));
  }

  /**
   * As in cpp-host shared_data.cc: an existing key needs cas == 0 or the
   * current CAS; a key that does not exist yet is created whatever cas is
   * given. Every successful write gets a fresh CAS.
   */
  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    const k = this.key(vmId, key);
    const existing = this.data.get(k);
    if (existing && cas !== 0 && cas !== existing.cas) return Status.CasMismatch;
    const fresh = this.nextCas++;
    if (this.nextCas > 0xffffffff) this.nextCas = 1;
    this.data.set(k, { value: value.slice(), cas: fresh });
    return Status.Ok;
  }

  /** Every key of one vm_id, for tests. */
  entries(vmId: string): Map<string, SharedValue> {
    const out = new Map<string, SharedValue>();
    const prefix = `${vmId}\u0000`;
    for (const [k, v] of this.data) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  }

  /** Registering again keeps the items but moves the wake-ups to the new registrant. */
  registerQueue(vmId: string, name: string, owner: QueueOwner, rootContextId: number): number {
    const k = this.key(vmId, name);
    let token = this.queueTokens.get(k);
    if (token === undefined) {
      token = this.nextQueueToken++;
      this.queueTokens.set(k, token);
      this.queues.set(token, { name, vmId, items: [], owner, rootContextId });
    } else {
      const q = this.queues.get(token)!;
      q.owner = owner;
      q.rootContextId = rootContextId;
    }
    return token;
  }

  resolveQueue(vmId: string, name: string): number | undefined {
    return this.queueTokens.get(this.key(vmId, name));
  }

  private queue(token: number): Queue {
    const q = this.queues.get(token >>> 0);
    if (!q) throw new Fail(Status.NotFound, `unknown shared queue id ${token >>> 0}`);
    return q;
  }

  enqueue(token: number, value: Uint8Array): void {
    const q = this.queue(token);
    q.items.push(value.slice());
    q.owner.queueReady(q.rootContextId, token >>> 0);
  }

  /** undefined when empty (EMPTY to the module). */
  dequeue(token: number): Uint8Array | undefined {
    return this.queue(token).items.shift();
  }

  queueItems(vmId: string, name: string): Uint8Array[] {
    const token = this.resolveQueue(vmId, name);
    return token === undefined ? [] : [...this.queues.get(token)!.items];
  }
}
