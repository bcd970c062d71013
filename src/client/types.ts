// The values the client hands out.

/** One record of a log, as READ delivers it (its CRC already verified). */
export interface LogRecord {
  id: number;
  /** The owner's clock when the record was appended, in ms since the epoch. */
  timestamp: number;
  payload: Buffer;
  /** CRC-32 (zlib) of the payload. */
  crc: number;
}

/** One line of LOGS. */
export interface LogInfo {
  name: string;
  /** `owner` or `replica`. */
  role: string;
  /** First retained id. */
  first: number;
  head: number;
  /** The optional key=value fields. */
  attrs: Record<string, string>;
}

/** msg(): wait until this many other participants stored the record (WAIT); 0: do not wait. */
export interface ReplicaOptions {
  replicas?: number;
  /** Give up waiting after this many ms (0 or absent: wait as long as it takes). */
  timeoutMs?: number;
}

/** msg() with `replicas`: the record was written (`id`) but fewer participants stored it in time. */
export class NotReplicatedError extends Error {
  constructor(
    readonly log: string,
    readonly id: number,
    /** How many had stored it when the wait ended. */
    readonly acknowledged: number,
    readonly wanted: number,
  ) {
    super(`${log} ${id} was stored by ${acknowledged} of the ${wanted} replicas wanted`);
    this.name = 'NotReplicatedError';
  }
}

export interface ReadOptions {
  /** Stop after this many records; 0 or absent: no limit. */
  limit?: number;
  /**
   * Wait for records not written yet (default false: stop at the current head). With no limit,
   * waiting means following the log forever.
   */
  wait?: boolean;
  /** Wait for records, but end after at most this many ms (READ ... WAIT <ms>); implies wait. */
  waitMs?: number;
}

export interface AppendOptions {
  /** Store only if the log's next id is this (a conditional append); else a ConflictError. */
  expect?: number;
}

/** One line of CONSUMERS. */
export interface ConsumerInfo {
  name: string;
  log: string;
  /** The last id the consumer has processed. */
  checkpoint: number;
  /** head - checkpoint: the records it has not processed yet. */
  lag: number;
}
