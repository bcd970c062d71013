// What logtail has read and not yet had acknowledged: lines for the data log and status events
// for the status log, in order, bounded in bytes. When it is full the tailer stops reading:
// the file itself holds the rest (the state file's offset says where to resume).

export interface Entry {
  log: string;
  payload: Buffer;
  /** For lines: the file (inode) and the offset just after the line. Null for status events. */
  ino: number | null;
  end: number;
}

export class EntryQueue {
  private items: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private waiter: (() => void) | null = null;
  private pushWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.bytes >= this.capacity;
  }

  push(entry: Entry): void {
    this.items.push(entry);
    this.bytes += entry.payload.length;
    this.wake();
    for (const resolve of this.pushWaiters.splice(0)) resolve();
  }

  /** Resolves at the next push, or after `ms`. */
  pushed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.pushWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves once the queue is not empty (or at once). */
  nonEmpty(): Promise<void> {
    if (this.length > 0) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Wakes a nonEmpty() waiter without an entry (shutdown). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** The entry `i` places from the front; 0 <= i < length. */
  at(i: number): Entry {
    return this.items[this.head + i]!;
  }

  /** The next batch: the longest stretch of entries from the front going to one log, within the limits. */
  batch(maxRecords: number, maxBytes: number): [Entry, ...Entry[]] {
    const first = this.items[this.head];
    if (first === undefined) throw new Error('batch() of an empty queue: wait for nonEmpty() first');
    const out: [Entry, ...Entry[]] = [first];
    let size = first.payload.length;
    for (let i = this.head + 1; i < this.items.length && out.length < maxRecords; i++) {
      const e = this.items[i]!;
      if (e.log !== first.log || size + e.payload.length > maxBytes) break;
      out.push(e);
      size += e.payload.length;
    }
    return out;
  }

  /** Removes the entry `i` places from the front (0: the front). */
  remove(i: number): void {
    const [e] = this.items.splice(this.head + i, 1);
    if (e !== undefined) this.bytes -= e.payload.length;
  }

  /** Removes `n` entries from the front; n <= length. */
  shift(n: number): void {
    for (let i = 0; i < n; i++) this.bytes -= this.items[this.head + i]!.payload.length;
    this.head += n;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
