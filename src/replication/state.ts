// What replication reports through LOGS and STATS: per replica log its source, state and the
// source's head (lag = source head - own head), per log the followers' acknowledged ids, and
// node-wide counters. Written by the followers and the REPLICATE streams, read by the LOGS/STATS
// handlers, WAIT and the retention task.
//
// Acknowledged ids are kept durably (an ack store: <data>/.acks, storage/checkpoints.ts), so
// that --retain-until-replicated and WAIT still know after a restart what the followers hold.
// They are written in batches, at most one write per ACK_FLUSH_MS: a crash loses at most the
// newest ones, which only makes retention keep more.
import type { Logger } from '../logger.ts';

/**
 * connecting: link opening; catching-up / live: streaming behind / at the source's head;
 * self: the source's address answers as this node itself (hello.ts), so it is not followed.
 */
export type ReplicaState = 'connecting' | 'catching-up' | 'live' | 'down' | 'diverged' | 'self';

export interface ReplicaStatus {
  /** The participant this replica is being copied from (its owner, or a relay). */
  source: string;
  state: ReplicaState;
  /** The source's head as last heard (heartbeat, frames or its LOGS); null while unknown. */
  sourceHead: number | null;
}

/** A participant of the peers file, as this node's link to it sees it. */
export interface PeerStatus {
  host: string;
  port: number;
  /** Its last LOGS answered in time; null until the first attempt has ended. */
  up: boolean | null;
}

/** The durable side of the acknowledged ids: per follower node, per log (storage's Checkpoints, wired in server.ts). */
export interface AckStore {
  entries(): Iterable<[node: string, log: string, id: number]>;
  setMany(node: string, entries: Iterable<[log: string, id: number]>): Promise<void>;
  close(): Promise<void>;
}

const ACK_FLUSH_MS = 200;

export class ReplicationState {
  /** Replica logs being followed. */
  readonly replicas = new Map<string, ReplicaStatus>();
  /** The other participants of the peers file, by name. */
  readonly peers = new Map<string, PeerStatus>();
  /** Per log, per follower node: the id it reported durable. */
  private readonly acked = new Map<string, Map<string, number>>();
  /** Per follower node, per log: acknowledged ids not written to the ack store yet. */
  private readonly unsaved = new Map<string, Map<string, number>>();
  private flushTimer: NodeJS.Timeout | null = null;
  private saving: Promise<unknown> = Promise.resolve();
  private readonly ackListeners = new Map<string, Set<() => void>>();
  /** Records and bytes stored from REPLICATE streams. */
  recordsIn = 0;
  bytesIn = 0;
  /** Bytes sent on REPLICATE streams. */
  bytesOut = 0;
  /** Follower links restarted after a failure. */
  reconnects = 0;
  /** ACKs ignored: from a node not in the participants file, for an id not sent, or backwards. */
  badAcks = 0;

  constructor(
    private readonly store: AckStore | null = null,
    private readonly logger: Logger = () => {},
  ) {
    if (store) for (const [node, log, id] of store.entries()) this.nodesOf(log).set(node, id);
  }

  /** Records an acknowledgement (the caller checked it) and wakes the WAITs on the log. */
  ack(log: string, node: string, id: number): void {
    this.nodesOf(log).set(node, id);
    if (this.store) {
      let logs = this.unsaved.get(node);
      if (!logs) this.unsaved.set(node, (logs = new Map()));
      logs.set(log, id);
      this.flushTimer ??= setTimeout(() => void this.flush(), ACK_FLUSH_MS);
    }
    for (const fn of this.ackListeners.get(log) ?? []) fn();
  }

  /** The followers of a log and their acknowledged ids. */
  acks(log: string): ReadonlyMap<string, number> {
    return this.acked.get(log) ?? EMPTY;
  }

  /** Calls fn after each acknowledgement on the log; returns the function that stops it. */
  onAck(log: string, fn: () => void): () => void {
    let set = this.ackListeners.get(log);
    if (!set) this.ackListeners.set(log, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.ackListeners.get(log) === set) this.ackListeners.delete(log);
    };
  }

  /** Writes the pending acknowledgements and closes the ack store. */
  async close(): Promise<void> {
    await this.flush();
    await this.saving;
    await this.store?.close();
  }

  private nodesOf(log: string): Map<string, number> {
    let nodes = this.acked.get(log);
    if (!nodes) this.acked.set(log, (nodes = new Map()));
    return nodes;
  }

  private flush(): Promise<unknown> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const writes: Promise<void>[] = [];
    for (const [node, logs] of this.unsaved) {
      writes.push(
        this.store!.setMany(node, logs).catch((err: unknown) =>
          this.logger(`replication: cannot store the acknowledgements of ${node}: ${(err as Error).message}`),
        ),
      );
    }
    this.unsaved.clear();
    return (this.saving = Promise.all([this.saving, ...writes]));
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
