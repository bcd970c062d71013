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
