// What replication reports through LOGS and STATS: per replica log its source, state and the
// source's head (lag = source head - own head), per log the followers' acknowledged ids, and
// node-wide counters. Plain data, written by the followers and the REPLICATE streams, read by
// the LOGS/STATS handlers and the retention task.

/** connecting: link opening; catching-up / live: streaming behind / at the source's head. */
export type ReplicaState = 'connecting' | 'catching-up' | 'live' | 'down' | 'diverged';

export interface ReplicaStatus {
  /** The participant this replica is being copied from (its owner, or a relay). */
  source: string;
  state: ReplicaState;
  /** The source's head as last heard (heartbeat or frames). */
  sourceHead: number;
}

/** A participant of the peers file, as this node's link to it sees it. */
export interface PeerStatus {
  host: string;
  port: number;
  /** Its last LOGS answered in time; null until the first attempt has ended. */
  up: boolean | null;
}

export class ReplicationState {
  /** Replica logs being followed. */
  readonly replicas = new Map<string, ReplicaStatus>();
  /** The other participants of the peers file, by name. */
  readonly peers = new Map<string, PeerStatus>();
  /** Per log, per follower node: the id it reported durable. */
  private readonly acked = new Map<string, Map<string, number>>();
  /** Records and bytes stored from REPLICATE streams. */
  recordsIn = 0;
  bytesIn = 0;
  /** Bytes sent on REPLICATE streams. */
  bytesOut = 0;
  /** Follower links restarted after a failure. */
  reconnects = 0;

  ack(log: string, node: string, id: number): void {
    let nodes = this.acked.get(log);
    if (!nodes) this.acked.set(log, (nodes = new Map()));
    nodes.set(node, id);
  }

  /** The followers of a log and their acknowledged ids. */
  acks(log: string): ReadonlyMap<string, number> {
    return this.acked.get(log) ?? EMPTY;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
