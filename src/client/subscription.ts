// SUBSCRIBE as events: a Subscription emits 'head' (log, id) for each pushed `HEAD <log> <id>`
// of its logs, starting with one per log right after subscribing (the current head).
// Pushes may coalesce: ids can jump, and the newest head is always sent.
import { EventEmitter } from 'node:events';

export interface SubscriptionEvents {
  head: [log: string, id: number];
  /** The connection ended; no more events will come. */
  close: [err: Error];
}

export class Subscription extends EventEmitter<SubscriptionEvents> {
  private closing: Promise<void> | null = null;

  constructor(
    readonly logs: readonly string[],
    private readonly cancel: (sub: Subscription) => Promise<void>,
  ) {
    super();
  }

  /** Stops the events (UNSUBSCRIBE for the logs no other subscription of the client wants). */
  close(): Promise<void> {
    this.closing ??= this.cancel(this);
    return this.closing;
  }
}
