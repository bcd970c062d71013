// Which logs this node owns or holds, and how commands find them. Owned logs (this node's id and
// its `<id>.<suffix>` namespace) are created by their first write; until then they read as empty.
import { LogdError } from '../../protocol/errors.ts';
import { ownerOf } from '../../protocol/names.ts';
import type { Log } from '../storage/log.ts';
import type { Store } from '../storage/store.ts';

export type Role = 'owner' | 'replica';

export class LogDirectory {
  private readonly creating = new Map<string, Promise<Log>>();
  /** Head listeners of logs that do not exist yet; moved onto the log when it is created. */
  private readonly waiting = new Map<string, Set<HeadWatch>>();

  constructor(
    readonly store: Store,
    readonly nodeId: string,
  ) {}

  owns(name: string): boolean {
    return ownerOf(name) === this.nodeId;
  }

  role(name: string): Role | null {
    if (this.owns(name)) return 'owner';
    return this.store.get(name) ? 'replica' : null;
  }

  get(name: string): Log | undefined {
    return this.store.get(name);
  }

  /** A log to read: the log, or null for an owned log with no record yet. Throws nolog otherwise. */
  forRead(name: string): Log | null {
    const log = this.store.get(name);
    if (log) return log;
    if (this.owns(name)) return null;
    throw new LogdError('nolog', name);
  }

  /** The log to write: created on first write when owned; readonly or nolog otherwise. */
  forWrite(name: string): Log | Promise<Log> {
    if (!this.owns(name)) {
      if (this.store.get(name)) throw new LogdError('readonly', `${name} is owned by ${ownerOf(name)}`);
      throw new LogdError('nolog', name);
    }
    return this.store.get(name) ?? this.create(name);
  }

  head(name: string): number {
    return this.store.get(name)?.head() ?? 0;
  }

  first(name: string): number {
    return this.store.get(name)?.first() ?? 1;
  }

  /** Calls fn after each head advance of the log, also if the log is only created later. */
  onHead(name: string, fn: (head: number) => void): () => void {
    const log = this.store.get(name);
    if (log) return log.onHead(fn);
    let watches = this.waiting.get(name);
    if (!watches) this.waiting.set(name, (watches = new Set()));
    const watch: HeadWatch = { fn, cancel: () => watches.delete(watch) };
    watches.add(watch);
    return () => watch.cancel();
  }

  create(name: string): Promise<Log> {
    const existing = this.creating.get(name);
    if (existing) return existing;
    const pending = this.store.create(name).then(
        (log) => {
          this.creating.delete(name);
          this.adoptWaiting(name, log);
          return log;
        },
        (err: unknown) => {
          this.creating.delete(name);
          throw err;
        },
      );
    this.creating.set(name, pending);
    return pending;
  }

  private adoptWaiting(name: string, log: Log): void {
    const watches = this.waiting.get(name);
    if (!watches) return;
    this.waiting.delete(name);
    for (const watch of watches) {
      watch.cancel = log.onHead(watch.fn);
      if (log.head() > 0) watch.fn(log.head());
    }
  }
}

/** A head listener on a log that does not exist yet; cancel() follows it onto the created log. */
interface HeadWatch {
  fn: (head: number) => void;
  cancel: () => void;
}
