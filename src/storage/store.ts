// The store: a data directory holding one directory per log, the LOCK and the consumer
// checkpoints. Opening it only lists the log directories: each log is recovered (recovery.ts) on
// its first use, and all of them by a background pass that yields to the event loop, so a node
// with ten thousand logs serves within a fraction of a second. One summary line at open, one when
// the pass is done. Logs share one budget of open files (open-files.ts), a namespace holds at
// most maxLogs logs, and a timer notices a data directory or log files removed under the node.
import fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogdError } from '../../protocol/errors.ts';
import { badName, isValidName, ownerOf } from '../../protocol/names.ts';
import { Checkpoints } from './checkpoints.ts';
import { syncDir } from './io.ts';
import { lockDataDir, unlockDataDir } from './lock.ts';
import { Log, type LogOptions } from './log.ts';
import { OpenFiles } from './open-files.ts';
import { TailBudget } from './tail-cache.ts';
import { FileWatch } from './watch.ts';
import type { FsyncPolicy } from './policy.ts';
import { logsIn } from './listing.ts';
import { recoverLog, type Damage } from './recovery.ts';
import { RecoveryTotals } from './recovery-report.ts';

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
  /** Descriptors all logs' chunk files may keep open together (default 256). */
  openFiles?: number;
  /** Most logs per namespace (`<owner>` and `<owner>.*`); creating one more fails with `full` (default: no limit). */
  maxLogs?: number;
  /** Bytes all logs' tail caches hold together (default 256 MiB). */
  tailBytes?: number;
}

/** The memory all logs' tail caches (the newest rounds, for readers at the head) may hold together. */
const TAIL_BUDGET_BYTES = 256 << 20;
/** The background recovery pass works this long, then lets the event loop run. */
const RECOVERY_SLICE_MS = 10;

export class Store {
  private readonly logs = new Map<string, Log>();
  /** Log directories found at open and not recovered yet (first use or the background pass will). */
  private readonly unopened = new Set<string>();
  /** Logs not opened because recovery found damage below their durable point (see recovery.ts). */
  private readonly damaged = new Map<string, Damage>();
  /** Logs whose recovery failed otherwise (an I/O error): every use answers this error. */
  private readonly failed = new Map<string, LogdError>();
  /** Logs per namespace (recovered, unopened, damaged, failed and being created), for maxLogs. */
  private readonly perNamespace = new Map<string, number>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly totals = new RecoveryTotals();
  private readonly recovered: Promise<void>;
  private readonly watch: FileWatch;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly lockFd: number,
    private readonly checkpoints: Checkpoints,
    private readonly logOptions: LogOptions,
    /** Most logs per namespace. */
    readonly maxLogs: number,
    names: string[],
    private readonly opened: number,
  ) {
    for (const name of names) {
      this.unopened.add(name);
      this.count(name, 1);
    }
    this.recovered = this.recoverInBackground();
    this.watch = new FileWatch(dir, lockFd, () => this.logs.values(), logOptions.logger);
  }

  /** Creates the directory if needed, takes the LOCK and lists the logs (recovered later: see above). */
  static async open(opts: StoreOptions): Promise<Store> {
    const started = performance.now();
    const logger = opts.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
    fs.mkdirSync(opts.dir, { recursive: true });
    const lockFd = lockDataDir(opts.dir);
    try {
      const names = logsIn(opts.dir);
      const files = new OpenFiles(opts.openFiles ?? 256);
      const logOptions = {
        fsync: opts.fsync,
        chunkBytes: opts.chunkBytes,
        maxMsg: opts.maxMsg,
        logger,
        files,
        tails: new TailBudget(opts.tailBytes ?? TAIL_BUDGET_BYTES),
      };
      const store = new Store(opts.dir, lockFd, Checkpoints.load(opts.dir), logOptions, opts.maxLogs ?? Infinity, names, started);
      const ms = (performance.now() - started).toFixed(1);
      logger(
        `storage: opened ${opts.dir}: ${names.length} logs found, 0 checked now, ${names.length} wait for their first use or the background check, ${ms} ms`,
      );
      return store;
    } catch (err) {
      unlockDataDir(lockFd);
      throw err;
    }
  }

  /**
   * Opens (and repairs) one log directory; logs one line if anything was repaired. A damaged log
   * is not opened (null): it is remembered with its damage, and logged with the file and offset.
   */
  private recover(name: string): Log | null {
    const logDir = join(this.dir, name);
    const recovered = recoverLog(logDir, name);
    if (recovered.damage) {
      this.damaged.set(name, recovered.damage);
      this.totals.add(name, recovered, this.dir, 0, this.logOptions.logger);
      return null;
    }
    // The durable point stays as found until this run first writes to the log (durability.ts, settle).
    const log = new Log(name, logDir, recovered.chunks, this.logOptions, recovered.durable);
    this.logs.set(name, log);
    this.totals.add(name, recovered, this.dir, log.head() - log.first() + 1, this.logOptions.logger);
    return log;
  }

  /** Recovers a log listed at open, now (its first use); a failure is remembered, logged once and thrown. */
  private recoverListed(name: string): Log | undefined {
    this.unopened.delete(name);
    try {
      return this.recover(name) ?? undefined;
    } catch (err) {
      const failure = err instanceof LogdError ? err : new LogdError('internal', `log ${name} cannot be opened: ${(err as Error).message}`);
      this.failed.set(name, failure);
      this.totals.failed++;
      this.logOptions.logger(`storage: ${failure.message}`);
      throw failure;
    }
  }

  /** The background pass: recovers every listed log, a slice at a time; one summary line at the end. */
  private async recoverInBackground(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // after open() has returned and logged
    let slice = performance.now();
    for (const name of this.unopened) {
      if (this.closing) return;
      try {
        this.recoverListed(name);
      } catch {
        // Logged and remembered by recoverListed.
      }
      if (performance.now() - slice > RECOVERY_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    this.logOptions.logger(this.totals.summary(performance.now() - this.opened));
  }

  /** Resolves when every log listed at open has been recovered (or failed to be). */
  allRecovered(): Promise<void> {
    return this.recovered;
  }

  /** Logs listed at open and not recovered yet. */
  get pending(): number {
    return this.unopened.size;
  }

  /** Logs in the namespace of `name` (its owner's), here or being created. */
  namespaceSize(name: string): number {
    return this.perNamespace.get(ownerOf(name)) ?? 0;
  }

  private count(name: string, delta: number): void {
    const ns = ownerOf(name);
    this.perNamespace.set(ns, (this.perNamespace.get(ns) ?? 0) + delta);
  }

  /** The error every command on a damaged log answers, or undefined if the log is not damaged. */
  damage(name: string): LogdError | undefined {
    if (this.unopened.has(name)) {
      try {
        this.recoverListed(name); // its first use: recovery finds out
      } catch {
        // Remembered as failed; get() answers that.
      }
    }
    const damage = this.damaged.get(name);
    return damage && new LogdError('internal', `${name} is damaged: ${damage.file} ${damage.offset}`);
  }

  /** fdatasync calls on chunks so far, all logs together (a STATS figure). */
  get fsyncs(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.fsyncs;
    return n;
  }

  /** The log (recovered now if this is its first use), or undefined. Throws if its recovery failed. */
  get(name: string): Log | undefined {
    const log = this.logs.get(name);
    if (log) return log;
    if (this.unopened.has(name)) return this.recoverListed(name);
    const failure = this.failed.get(name);
    if (failure) throw failure;
    return undefined;
  }

  /** The log if it is recovered already: no file is touched. */
  loaded(name: string): Log | undefined {
    return this.logs.get(name);
  }

  /** Whether the log exists here (recovered, waiting for recovery, damaged or failed to recover). */
  has(name: string): boolean {
    return this.logs.has(name) || this.unopened.has(name) || this.damaged.has(name) || this.failed.has(name);
  }

  /** Names of all logs that can be served (recovered or waiting for recovery), sorted. */
  names(): string[] {
    return [...this.logs.keys(), ...this.unopened].sort();
  }

  /** Returns the log, creating it (durably) if it does not exist yet. */
  create(name: string): Promise<Log> {
    try {
      const existing = this.get(name);
      if (existing) return Promise.resolve(existing);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!isValidName(name)) return Promise.reject(badName('log', name));
    const damage = this.damage(name);
    if (damage) return Promise.reject(damage);
    if (this.closing) return Promise.reject(new LogdError('internal', 'store is closed'));
    let pending = this.creating.get(name);
    if (!pending) {
      const size = this.namespaceSize(name);
      if (size >= this.maxLogs) {
        return Promise.reject(new LogdError('full', `${name}: namespace ${ownerOf(name)} already holds ${size} logs, the most --max-logs allows`));
      }
      this.count(name, 1);
      pending = this.createLog(name).finally(() => this.creating.delete(name));
      pending.catch(() => this.count(name, -1));
      this.creating.set(name, pending);
    }
    return pending;
  }

  private async createLog(name: string): Promise<Log> {
    const missing = this.watch.dataDirMissing();
    if (missing) throw new LogdError('internal', `cannot create ${name}: ${missing}`);
    const logDir = join(this.dir, name);
    try {
      fs.mkdirSync(logDir); // not recursive: never recreate a data directory removed under the node
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const log = this.recover(name);
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
    this.watch.stop();
    await this.recovered;
    await Promise.allSettled([...this.creating.values()]);
    const results = await Promise.allSettled([...this.logs.values()].map((log) => log.close()));
    await this.checkpoints.close();
    unlockDataDir(this.lockFd);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
