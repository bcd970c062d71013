// Retention: every few seconds, each log (owned or replica) loses its oldest whole chunks while
// it holds more than --retain-bytes, and those whose newest record is older than --retain-age
// (a sealed chunk's last write is its file's mtime). The active chunk always stays. Under
// --retain-until-replicated a log this node writes keeps every record some current participant
// has not acknowledged yet (as the cl-prevalence multimaster removes a log only once every other
// master processed it): a participant that never acknowledged holds back all trimming. Under
// --retain-until-consumed every log keeps each chunk some consumer with a checkpoint on it has
// not passed (its records are not all at or below the lowest checkpoint).
// The chunk files are listed from the data directory, whose layout is fixed (DESIGN.md).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import type { LogDirectory } from '../loop/logs.ts';
import { chunkFirstId } from '../storage/chunk.ts';
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

interface ChunkFile {
  first: number;
  bytes: number;
  mtimeMs: number;
}

/** Starts the periodic task; returns a function that stops it and waits for a pass in progress. */
export function startRetention(policy: RetentionPolicy, logs: LogDirectory, replication: ReplicationState, logger: Logger, intervalMs = INTERVAL_MS): () => Promise<void> {
  let pass: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pass = pass.then(() => retainAll(policy, logs, replication, logger)).catch((err: unknown) => logger(`retention: ${(err as Error).message}`));
  }, intervalMs);
  return () => {
    clearInterval(timer);
    return pass;
  };
}

async function retainAll(policy: RetentionPolicy, logs: LogDirectory, replication: ReplicationState, logger: Logger): Promise<void> {
  for (const name of logs.store.names()) {
    const log = logs.store.loaded(name); // a log not recovered yet is trimmed at a later pass
    if (!log) continue;
    const chunks = await listChunks(join(logs.store.dir, name));
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
      const consumed = consumedUpTo(logs.store.consumers(name));
      if (consumed + 1 < before) {
        before = consumed + 1;
        held = ' (held back by unconsumed records)';
      }
    }
    if (before <= log.first()) continue;
    const was = log.first();
    const first = await log.trim(before);
    if (first > was) logger(`retention: ${name} now starts at id ${first} (was ${was})${held}`);
  }
}

/** The first id to keep by size and age: the first id of the oldest chunk that stays. */
export function trimPoint(chunks: ChunkFile[], policy: RetentionPolicy, now: number): number {
  let total = 0;
  for (const c of chunks) total += c.bytes;
  let keep = 0;
  while (keep < chunks.length - 1) {
    const c = chunks[keep];
    const tooBig = policy.bytes > 0 && total > policy.bytes;
    const tooOld = policy.ageMs > 0 && c.mtimeMs < now - policy.ageMs;
    if (!tooBig && !tooOld) break;
    total -= c.bytes;
    keep++;
  }
  return chunks.length ? chunks[keep].first : 1;
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

async function listChunks(dir: string): Promise<ChunkFile[]> {
  const out: ChunkFile[] = [];
  for (const file of await readdir(dir)) {
    const first = chunkFirstId(file);
    if (first === undefined) continue;
    try {
      const s = await stat(join(dir, file));
      out.push({ first, bytes: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // Trimmed meanwhile.
    }
  }
  return out.sort((a, b) => a.first - b.first);
}
