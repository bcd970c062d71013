// The one door to log state for code outside the command handlers: replication (followers,
// replicas, the replicator) and retention change logs only through LogAccess, which the loop
// implements over storage (loop/logs.ts). So storage has a single owner (the loop), and
// replication depends on neither storage nor the loop's internals: only on these types.
import type { RecordStamp } from '../protocol/frame.ts';

/** A log this node holds a copy of, as its follower may use it. */
export interface ReplicaLog {
  readonly name: string;
  /** Last durable id, 0 if empty. */
  head(): number;
  first(): number;
  /** The stored header of record `id` (the resume check). */
  stampOf(id: number): Promise<RecordStamp>;
  /** The digest of the prefix up to `id` (PROTOCOL.md, REPLICATE), null when unknown. */
  digestOf(id: number): Promise<number | null>;
  /** Keeps the prefix digest a source told (`DIGEST`) for a copy that holds nothing and starts past id 1. */
  adoptDigest(id: number, digest: number): void;
  /** Stores frames as they are: each must parse, match its CRC and continue the ids. */
  appendFrames(frames: Buffer): Promise<{ first: number; last: number }>;
  /** Drops every record and continues, empty, at `first` (> head + 1); returns the records dropped. */
  restartAt(first: number): Promise<number>;
}

/** One chunk file of a log, as retention weighs it. */
export interface ChunkFile {
  /** The id of its first record. */
  first: number;
  bytes: number;
  /** Its last write (for a sealed chunk: its newest record). */
  mtimeMs: number;
}

/** A small state file replaced atomically and durably (DivergedMarks). */
export interface StateFile {
  /** Its text, or null when it does not exist. */
  read(): string | null;
  /** Replaces it with text() as it is when the write starts; writes run one at a time. */
  replace(text: () => string): Promise<void>;
}

export interface LogAccess {
  /** Every log held here. */
  names(): string[];
  /** True for a log found damaged (kept as found until `logtool repair`). */
  damaged(name: string): boolean;
  /** This node takes writes for the log (its namespace unless refused, or accepted). */
  writable(name: string): boolean;
  /** The participants of the peers file (other than this node). */
  participants(): ReadonlySet<string>;
  setParticipants(names: Iterable<string>): void;
  /** Called after REFUSE/ACCEPT changed a role; the change completes when the listeners have. */
  onRolesChanged(fn: () => Promise<void> | void): void;
  /** The log exists here (recovered or not, damaged or not). */
  held(name: string): boolean;
  /** Logs held or being created in the namespace of `name` (its owner's), and the most --max-logs allows. */
  namespaceSize(name: string): number;
  maxLogs(): number;
  /** The local copy of a log of another participant, created empty if not held yet. */
  openReplica(name: string): Promise<ReplicaLog>;
  /** The log's chunk files, oldest first (empty for a log not held or not recovered yet). */
  chunkFiles(name: string): Promise<ChunkFile[]>;
  /** The checkpoints of the consumers of a log. */
  consumers(name: string): readonly { id: number }[];
  /** Retention: deletes the whole chunks below `before` (never the active one); returns the first id before and after, or null for a log not held or not recovered yet. */
  trim(name: string, before: number): Promise<{ was: number; first: number } | null>;
  /** The first id of a held log (1 if not held). */
  first(name: string): number;
}
