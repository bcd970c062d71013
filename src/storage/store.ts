// The store: a data directory holding one directory per log, the LOCK and the consumer
// checkpoints. Opening it recovers every log (see recovery.ts) and logs one summary line.
import fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogdError } from '../../protocol/errors.ts';
import { badName, isValidName } from '../../protocol/names.ts';
import { Checkpoints } from './checkpoints.ts';
import { syncDir } from './io.ts';
import { lockDataDir, unlockDataDir } from './lock.ts';
import { Log, type LogOptions } from './log.ts';
import type { FsyncPolicy } from './policy.ts';
import { settleDurable } from './durable.ts';
import { recoverLog, type Damage } from './recovery.ts';

export { parseFsyncPolicy, type FsyncPolicy } from './policy.ts';

export interface StoreOptions {
  dir: string;
  fsync: FsyncPolicy;
  /** A chunk rolls when the next batch would take it past this size (default 64 MiB at the command line). */
  chunkBytes: number;
  /** Payload limit for append (default 1 MiB at the command line). */
  maxMsg: number;
  /** One line per notable event (recovery summary, repairs); default: stderr. */
  logger?: (line: string) => void;
}

export class Store {
  private readonly logs = new Map<string, Log>();
  /** Logs not opened because recovery found damage below their durable point (see recovery.ts). */
  private readonly damaged = new Map<string, Damage>();
  private readonly creating = new Map<string, Promise<Log>>();
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly lockFd: number,
    private readonly checkpoints: Checkpoints,
    private readonly logOptions: LogOptions,
  ) {}

  /** Creates the directory if needed, takes the LOCK and recovers every log in it. */
  static async open(opts: StoreOptions): Promise<Store> {
    const started = performance.now();
    const logger = opts.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
    fs.mkdirSync(opts.dir, { recursive: true });
    const lockFd = lockDataDir(opts.dir);
    let store: Store | undefined;
    try {
      store = new Store(opts.dir, lockFd, Checkpoints.load(opts.dir), { fsync: opts.fsync, chunkBytes: opts.chunkBytes, maxMsg: opts.maxMsg, logger });
      let records = 0;
      let dropped = 0;
      for (const entry of fs.readdirSync(opts.dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !isValidName(entry.name)) continue;
        const { log, droppedBytes } = store.recover(entry.name);
        if (log) records += log.head() - log.first() + 1;
        dropped += droppedBytes;
      }
      const ms = (performance.now() - started).toFixed(1);
      const damaged = store.damaged.size > 0 ? `, ${store.damaged.size} damaged logs not opened (logtool repair)` : '';
      logger(`storage: opened ${opts.dir}: ${store.logs.size} logs, ${records} records, ${dropped} bytes dropped in recovery${damaged}, ${ms} ms`);
      return store;
    } catch (err) {
      if (store) for (const log of store.logs.values()) await log.close().catch(() => {});
      unlockDataDir(lockFd);
      throw err;
    }
  }

  /**
   * Opens (and repairs) one log directory; logs one line if anything was repaired. A damaged log
   * is not opened: it is remembered with its damage, and logged with the file and offset.
   */
  private recover(name: string): { log: Log | null; droppedBytes: number } {
    const logDir = join(this.dir, name);
    const recovered = recoverLog(logDir, name);
    const logger = this.logOptions.logger;
    if (recovered.damage) {
      const { file, offset, reason } = recovered.damage;
      this.damaged.set(name, recovered.damage);
      logger(`storage: log ${name} is damaged and not opened: ${join(this.dir, file)} at byte ${offset}: ${reason}; nothing was cut (see logtool repair)`);
      return { log: null, droppedBytes: 0 };
    }
    if (recovered.droppedBytes > 0 || recovered.repairedIndexes > 0) {
      const chunks = recovered.droppedChunks > 0 ? ` (and ${recovered.droppedChunks} chunks after a torn sealed chunk)` : '';
      logger(`storage: log ${name}: dropped ${recovered.droppedBytes} bytes of torn, corrupt or uncommitted tail${chunks}; repaired ${recovered.repairedIndexes} index files`);
    }
    if (recovered.indexWriteFailure) logger(`storage: log ${name}: cannot rewrite index ${recovered.indexWriteFailure}; kept in memory`);
    const active = recovered.chunks[recovered.chunks.length - 1];
    const since = recovered.durable?.chunk ?? 0;
    const unsynced = recovered.chunks.filter((c) => c.firstId >= since).map((c) => c.chunkPath);
    const durable = settleDurable(logDir, recovered.durable, this.logOptions.fsync.mode, unsynced, { chunk: active.firstId, bytes: active.size }, logger);
    const log = new Log(name, logDir, recovered.chunks, this.logOptions, durable);
    this.logs.set(name, log);
    return { log, droppedBytes: recovered.droppedBytes };
  }

  /** The error every command on a damaged log answers, or undefined if the log is not damaged. */
  damage(name: string): LogdError | undefined {
    const damage = this.damaged.get(name);
    return damage && new LogdError('internal', `${name} is damaged: ${damage.file} ${damage.offset}`);
  }

  /** fdatasync calls on chunks so far, all logs together (a STATS figure). */
  get fsyncs(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.fsyncs;
    return n;
  }

  get(name: string): Log | undefined {
    return this.logs.get(name);
  }

  /** Names of all logs, sorted. */
  names(): string[] {
    return [...this.logs.keys()].sort();
  }

  /** Returns the log, creating it (durably) if it does not exist yet. */
  create(name: string): Promise<Log> {
    const existing = this.logs.get(name);
    if (existing) return Promise.resolve(existing);
    if (!isValidName(name)) return Promise.reject(badName('log', name));
    const damage = this.damage(name);
    if (damage) return Promise.reject(damage);
    if (this.closing) return Promise.reject(new LogdError('internal', 'store is closed'));
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.createLog(name).finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }

  private async createLog(name: string): Promise<Log> {
    const logDir = join(this.dir, name);
    fs.mkdirSync(logDir, { recursive: true });
    const { log } = this.recover(name);
    if (!log) throw this.damage(name)!;
    if (this.logOptions.fsync.mode !== 'none') {
      await syncDir(logDir);
      await syncDir(this.dir);
    }
    return log;
  }

  checkpoint(consumer: string, log: string): number {
    return this.checkpoints.get(consumer, log);
  }

  /** The stored consumer positions (of one log, when named), sorted by consumer then log. */
  consumers(log?: string): { consumer: string; log: string; id: number }[] {
    return this.checkpoints.list(log);
  }

  /** Stores a consumer's position; durable before it resolves. */
  setCheckpoint(consumer: string, log: string, id: number): Promise<void> {
    return this.checkpoints.set(consumer, log, id);
  }

  /** Flushes and syncs every log, closes every file and releases the LOCK. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    await Promise.allSettled([...this.creating.values()]);
    const results = await Promise.allSettled([...this.logs.values()].map((log) => log.close()));
    await this.checkpoints.close();
    unlockDataDir(this.lockFd);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
