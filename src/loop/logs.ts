// Which logs this node owns or holds, and how commands find them. Owned logs (this node's id and
// its `<id>.<suffix>` namespace) are created by their first write; until then they read as empty.
// Failover moves the writer: REFUSE stops writes to an owned log here, ACCEPT makes this node the
// writer of a log it holds a replica of; both survive a restart (FAILOVER_FILE in the data dir).
// A participant named in the peers file has its main log known here before its first record.
// It is also the LogAccess (log-access.ts) through which replication and retention change logs:
// the command handlers and those two reach storage through this one object.
import { LogdError } from '../../protocol/errors.ts';
import { ownerOf } from '../../protocol/names.ts';
import type { ChunkFile, LogAccess, ReplicaLog } from '../log-access.ts';
import type { Log } from '../storage/log.ts';
import { StateFile } from '../storage/state-file.ts';
import type { Store } from '../storage/store.ts';

export type Role = 'owner' | 'replica';

/** `{"refused": [...], "accepted": [...]}`; log directories never start with '.', so no clash. */
const FAILOVER_FILE = '.failover.json';

export class LogDirectory implements LogAccess {
  private readonly creating = new Map<string, Promise<Log>>();
  /** Head listeners of logs that do not exist yet; moved onto the log when it is created. */
  private readonly waiting = new Map<string, Set<HeadWatch>>();
  /** Owned logs that take no writes here (REFUSE). */
  private readonly refused: Set<string>;
  /** Other participants' logs this node writes (ACCEPT). */
  private readonly accepted: Set<string>;
  private participantNames: ReadonlySet<string> = new Set();
  private readonly roleListeners: (() => Promise<void> | void)[] = [];
  private readonly rolesFile: StateFile;

  constructor(
    readonly store: Store,
    readonly nodeId: string,
  ) {
    this.rolesFile = new StateFile(store.dir, FAILOVER_FILE);
    const saved = readFailover(this.rolesFile);
    this.refused = new Set(saved.refused);
    this.accepted = new Set(saved.accepted);
  }

  /** This node takes writes for the log: its own namespace unless refused, or accepted. */
  writable(name: string): boolean {
    return this.accepted.has(name) || (ownerOf(name) === this.nodeId && !this.refused.has(name));
  }

  role(name: string): Role | null {
    if (this.writable(name)) return 'owner';
    return this.store.has(name) || this.known(name) ? 'replica' : null;
  }

  /** `refused` or `accepted` when failover changed who writes the log. */
  failover(name: string): 'refused' | 'accepted' | null {
    return this.refused.has(name) ? 'refused' : this.accepted.has(name) ? 'accepted' : null;
  }

  /** The participants of the peers file (other than this node). */
  setParticipants(names: Iterable<string>): void {
    this.participantNames = new Set(names);
  }

  participants(): ReadonlySet<string> {
    return this.participantNames;
  }

  /** A log that exists for sure although no record may be here yet. */
  private known(name: string): boolean {
    return ownerOf(name) === this.nodeId || (this.participantNames.has(name) && name === ownerOf(name));
  }

  /** Called after REFUSE/ACCEPT changed a role; the change completes when the listeners have. */
  onRolesChanged(fn: () => Promise<void> | void): void {
    this.roleListeners.push(fn);
  }

  /** REFUSE: stop taking writes for a log this node writes. */
  refuse(name: string): Promise<void> {
    if (!this.writable(name)) return Promise.resolve();
    if (!this.accepted.delete(name)) this.refused.add(name);
    return this.rolesChanged();
  }

  /** ACCEPT: become the writer of a log held here (from its head + 1), or undo a REFUSE. */
  accept(name: string): Promise<void> {
    if (this.writable(name)) return Promise.resolve();
    if (!this.refused.delete(name)) {
      if (!this.store.has(name)) throw new LogdError('nolog', name);
      this.accepted.add(name);
    }
    return this.rolesChanged();
  }

  /** Saves the roles (durable before the OK), then runs the listeners. */
  private async rolesChanged(): Promise<void> {
    await this.rolesFile.replace(() => JSON.stringify({ refused: [...this.refused].sort(), accepted: [...this.accepted].sort() }) + '\n');
    for (const fn of this.roleListeners) await fn();
  }

  get(name: string): Log | undefined {
    return this.store.get(name);
  }

  /** A log to read: the log, or null for a known log with no record yet. Throws nolog otherwise. */
  forRead(name: string): Log | null {
    const damage = this.store.damage(name); // not opened until `logtool repair` (see STORAGE.md)
    if (damage) throw damage;
    const log = this.store.get(name);
    if (log) return log;
    if (this.writable(name) || this.known(name)) return null;
    throw new LogdError('nolog', name);
  }

  /** The log to write: created on first write when writable here; readonly or nolog otherwise. */
  forWrite(name: string): Log | Promise<Log> {
    const damage = this.store.damage(name);
    if (damage) throw damage;
    if (!this.writable(name)) {
      if (this.refused.has(name)) throw new LogdError('readonly', `${name} is refused on this node (failover)`);
      if (this.store.has(name) || this.known(name) || this.participantNames.has(ownerOf(name))) {
        throw new LogdError('readonly', `${name} is owned by ${ownerOf(name)}`);
      }
      throw new LogdError('nolog', name);
    }
    // While the log is being created, later writes queue behind the first one, in order.
    return this.creating.get(name) ?? this.store.get(name) ?? this.create(name);
  }

  head(name: string): number {
    return this.store.get(name)?.head() ?? 0;
  }

  first(name: string): number {
    return this.store.get(name)?.first() ?? 1;
  }

  names(): string[] {
    return this.store.names();
  }

  damaged(name: string): boolean {
    return this.store.damage(name) !== undefined;
  }

  consumers(name: string): readonly { id: number }[] {
    return this.store.consumers(name);
  }

  async openReplica(name: string): Promise<ReplicaLog> {
    return replicaLog(await this.create(name));
  }

  held(name: string): boolean {
    return this.store.has(name);
  }

  namespaceSize(name: string): number {
    return this.store.namespaceSize(name);
  }

  maxLogs(): number {
    return this.store.maxLogs;
  }

  // Retention's two calls touch only recovered logs (store.loaded): the rest wait for a later pass.
  async chunkFiles(name: string): Promise<ChunkFile[]> {
    return (await this.store.loaded(name)?.chunkFiles()) ?? [];
  }

  async trim(name: string, before: number): Promise<{ was: number; first: number } | null> {
    const log = this.store.loaded(name);
    if (!log) return null;
    const was = log.first();
    return { was, first: await log.trim(before) };
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

interface FailoverRoles {
  refused: string[];
  accepted: string[];
}

function readFailover(file: StateFile): FailoverRoles {
  const text = file.read();
  if (text === null) return { refused: [], accepted: [] };
  const roles = JSON.parse(text) as Partial<FailoverRoles>;
  return { refused: roles.refused ?? [], accepted: roles.accepted ?? [] };
}

/** A head listener on a log that does not exist yet; cancel() follows it onto the created log. */
interface HeadWatch {
  fn: (head: number) => void;
  cancel: () => void;
}

/** A replica's follower sees its log through this: the reads and the two changes a copy makes. */
function replicaLog(log: Log): ReplicaLog {
  return {
    name: log.name,
    head: () => log.head(),
    first: () => log.first(),
    stampOf: (id) => log.stampOf(id),
    digestOf: (id) => log.digests.digestOf(id),
    adoptDigest: (id, digest) => log.digests.adopt(id, digest),
    appendFrames: (frames) => log.appendFrames(frames),
    restartAt: (first) => log.restartAt(first),
  };
}
