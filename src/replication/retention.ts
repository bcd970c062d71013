// Retention: every few seconds, each log (owned or replica) loses its oldest whole chunks while
// it holds more than --retain-bytes, and those whose newest record is older than --retain-age
// (a sealed chunk's last write is its file's mtime). The active chunk always stays. Under
// --retain-until-replicated a log this node writes keeps every record some current participant
// has not acknowledged yet (as the cl-prevalence multimaster removes a log only once every other
// master processed it): a participant that never acknowledged holds back all trimming. Under
// --retain-until-consumed every log keeps each chunk some consumer with a checkpoint on it has
// not passed (its records are not all at or below the lowest checkpoint).
// Each log reports its own chunk files, and trims, through the loop's LogAccess (log-access.ts).
import type { ChunkFile, LogAccess } from '../log-access.ts';
import type { Logger } from '../logger.ts';
import type { ReplicationState } from './state.ts';

export interface RetentionPolicy {
  /** Keep at most this many bytes per log (0: no limit). */
  bytes: number;
  /** Drop chunks whose newest record is older than this many ms (0: no limit). */
  ageMs: number;
  /** The writer keeps what a current participant has not acknowledged. */
  untilReplicated: boolean;
  /** Keep what a consumer with a checkpoint on the log has not passed. */
  untilConsumed: boolean;
}

const INTERVAL_MS = 2000;

/** Starts the periodic task; returns a function that stops it and waits for a pass in progress. */
export function startRetention(
  policy: RetentionPolicy,
  logs: LogAccess,
  replication: ReplicationState,
  logger: Logger,
  intervalMs = INTERVAL_MS,
): () => Promise<void> {
  let pass: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pass = pass.then(() => retainAll(policy, logs, replication, logger)).catch((err: unknown) => logger(`retention: ${(err as Error).message}`));
  }, intervalMs);
  return () => {
    clearInterval(timer);
    return pass;
  };
}

async function retainAll(policy: RetentionPolicy, logs: LogAccess, replication: ReplicationState, logger: Logger): Promise<void> {
  for (const name of logs.names()) {
    const chunks = await logs.chunkFiles(name);
    if (chunks.length === 0) continue;
    let before = trimPoint(chunks, policy, Date.now());
    let held = '';
    if (policy.untilReplicated && logs.writable(name)) {
      const acked = replicatedUpTo(logs.participants(), replication.acks(name));
      if (acked + 1 < before) {
        before = acked + 1;
        held = ' (held back by unacknowledged records)';
      }
    }
    if (policy.untilConsumed) {
      const consumed = consumedUpTo(logs.consumers(name));
      if (consumed + 1 < before) {
        before = consumed + 1;
        held = ' (held back by unconsumed records)';
      }
    }
    if (before <= logs.first(name)) continue;
    const trimmed = await logs.trim(name, before);
    if (!trimmed) continue;
    const { was, first } = trimmed;
    if (first > was) logger(`retention: ${name} now starts at id ${first} (was ${was})${held}`);
  }
}

/** The first id to keep by size and age: the first id of the oldest chunk that stays. */
export function trimPoint(chunks: ChunkFile[], policy: RetentionPolicy, now: number): number {
  let total = 0;
  for (const c of chunks) total += c.bytes;
  let keep = 0;
  while (keep < chunks.length - 1) {
    const c = chunks[keep]!;
    const tooBig = policy.bytes > 0 && total > policy.bytes;
    const tooOld = policy.ageMs > 0 && c.mtimeMs < now - policy.ageMs;
    if (!tooBig && !tooOld) break;
    total -= c.bytes;
    keep++;
  }
  return chunks.length ? chunks[keep]!.first : 1;
}

/** The highest id every participant has acknowledged (0 if one never did). */
export function replicatedUpTo(participants: Iterable<string>, acks: ReadonlyMap<string, number>): number {
  let min = Infinity;
  for (const p of participants) min = Math.min(min, acks.get(p) ?? 0);
  return min === Infinity ? Number.MAX_SAFE_INTEGER : min;
}

/** The lowest checkpoint of the consumers of a log (no consumer: no limit). */
export function consumedUpTo(consumers: readonly { id: number }[]): number {
  let min = Number.MAX_SAFE_INTEGER;
  for (const c of consumers) min = Math.min(min, c.id);
  return min;
}
