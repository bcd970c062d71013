// Consumer positions (the CHECKPOINT command): <data>/.checkpoints/<consumer> holds one
// `<log> <id>` line per log. The same store keeps the followers' acknowledged ids on a writer
// (<data>/.acks/<node>, see replication/state.ts). A store is durable before it resolves: the file is written whole to
// a temp file, fsynced, renamed over the old one, and the directory fsynced. Writes for one
// consumer are coalesced: while one is in flight, later changes share the next write.
import fs from 'node:fs';
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';
import { badName, isValidName } from '../../protocol/names.ts';
import { replaceFile } from './replace-file.ts';

export const CHECKPOINT_DIR = '.checkpoints';
/** Followers' acknowledged ids: one file per follower node, one line per log. */
export const ACK_DIR = '.acks';

interface Writes {
  running: Promise<void> | null;
  queued: Promise<void> | null;
}

export class Checkpoints {
  private readonly positions = new Map<string, Map<string, number>>();
  private readonly writes = new Map<string, Writes>();

  private constructor(private readonly dir: string) {}

  /** Reads every consumer file under <data>/<dirName> (created if missing). */
  static load(dataDir: string, dirName = CHECKPOINT_DIR): Checkpoints {
    const dir = join(dataDir, dirName);
    fs.mkdirSync(dir, { recursive: true });
    const store = new Checkpoints(dir);
    for (const file of fs.readdirSync(dir)) {
      if (!isValidName(file)) {
        fs.rmSync(join(dir, file), { force: true }); // a temp file left by a crash mid-write
        continue;
      }
      const logs = new Map<string, number>();
      for (const line of fs.readFileSync(join(dir, file), 'latin1').split('\n')) {
        const [log = '', id] = line.split(' ');
        if (isValidName(log) && /^[0-9]{1,16}$/.test(id ?? '')) logs.set(log, Number(id));
      }
      store.positions.set(file, logs);
    }
    return store;
  }

  /** The stored position, 0 if never stored. */
  get(consumer: string, log: string): number {
    return this.positions.get(consumer)?.get(log) ?? 0;
  }

  /** Every stored position (of one log, when named), sorted by consumer then log. */
  list(log?: string): { consumer: string; log: string; id: number }[] {
    return [...this.entries()]
      .filter(([, name]) => log === undefined || name === log)
      .map(([consumer, name, id]) => ({ consumer, log: name, id }))
      .sort((a, b) => (a.consumer === b.consumer ? compare(a.log, b.log) : compare(a.consumer, b.consumer)));
  }

  set(consumer: string, log: string, id: number): Promise<void> {
    return this.setMany(consumer, [[log, id]]);
  }

  /** Several logs of one consumer, in one write. */
  setMany(consumer: string, entries: Iterable<[log: string, id: number]>): Promise<void> {
    if (!isValidName(consumer)) return Promise.reject(badName('consumer', consumer));
    const list = [...entries];
    for (const [log, id] of list) {
      if (!isValidName(log)) return Promise.reject(badName('log', log));
      if (!Number.isSafeInteger(id) || id < 0) return Promise.reject(new LogdError('syntax', `invalid checkpoint id ${id}`));
    }
    let logs = this.positions.get(consumer);
    if (!logs) this.positions.set(consumer, (logs = new Map()));
    for (const [log, id] of list) logs.set(log, id);
    return this.persist(consumer);
  }

  /** Every stored position. */
  *entries(): Iterable<[consumer: string, log: string, id: number]> {
    for (const [consumer, logs] of this.positions) for (const [log, id] of logs) yield [consumer, log, id];
  }

  /** Waits for every write in flight. */
  async close(): Promise<void> {
    for (const w of this.writes.values()) await Promise.allSettled([w.running, w.queued]);
  }

  private persist(consumer: string): Promise<void> {
    let w = this.writes.get(consumer);
    if (!w) this.writes.set(consumer, (w = { running: null, queued: null }));
    const writes = w;
    if (writes.queued) return writes.queued;
    if (!writes.running) return this.start(writes, consumer);
    writes.queued = writes.running
      .catch(() => {})
      .then(() => {
        writes.queued = null;
        return this.start(writes, consumer);
      });
    return writes.queued;
  }

  /** Writes the consumer's file as it is now. */
  private start(writes: Writes, consumer: string): Promise<void> {
    const lines = [...this.positions.get(consumer)!].map(([log, id]) => `${log} ${id}\n`).join('');
    const running = this.writeFile(consumer, lines);
    writes.running = running;
    const clear = (): void => {
      if (writes.running === running) writes.running = null;
    };
    running.then(clear, clear);
    return running;
  }

  private writeFile(consumer: string, text: string): Promise<void> {
    return replaceFile(join(this.dir, consumer), Buffer.from(text, 'latin1'));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
