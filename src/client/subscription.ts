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
  /**
   * The newest head pushed for each log. Pushes can arrive with the reply to SUBSCRIBE, before
   * a listener is attached: read this right after subscribe() resolves, then listen.
   */
  readonly heads = new Map<string, number>();
  private closing: Promise<void> | null = null;

  constructor(
    readonly logs: readonly string[],
    private readonly cancel: (sub: Subscription) => Promise<void>,
  ) {
    super();
  }

  /** Records a push and emits it. */
  pushed(log: string, id: number): void {
    this.heads.set(log, id);
    this.emit('head', log, id);
  }

  /** Stops the events (UNSUBSCRIBE for the logs no other subscription of the client wants). */
  close(): Promise<void> {
    this.closing ??= this.cancel(this);
    return this.closing;
  }
}
