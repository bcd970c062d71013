// Opening a log directory: the chunks are the truth, the .idx files a cache of them.
// Sealed chunks are checked in O(1) (index length, and the last entry points at the last record,
// which ends at the end of the file); only a chunk failing that is rescanned. The active chunk's
// index is validated (monotonic, inside the file, last trusted entry points at the right record,
// binary search back otherwise), then only the records past it are scanned. After a power loss the
// chunks written since the durable point are scanned whole and their indexes checked entry by entry.
//
// What may be cut is decided by the durable point (durable.ts): only bytes that can be unsynced
// under the policy they were written with form a torn tail. Anything else unreadable is damage:
// the log is not opened, nothing is cut or deleted, and the damage is reported (file, offset)
// until an operator runs `logtool repair`. See protocol/STORAGE.md, "Opening a log".
import fs from 'node:fs';
import { join } from 'node:path';
import { Chunk } from './chunk.ts';
import { chunkBaseName, CHUNK_SUFFIX } from './chunk-names.ts';
import { atOrAfter, currentBoot, readDurable, type DurablePoint } from './durable.ts';
import { INDEX_ENTRY_BYTES, type IndexBuffer } from './index-buffer.ts';
import { openIndex, rebuildIndex, sealedChunkOk } from './index-check.ts';
import { chunksIn } from './listing.ts';
import { findFrameAfter, isUncommittedFrame } from './scan.ts';

/** Where a log is damaged beyond a torn tail. */
export interface Damage {
  /** The chunk file, relative to the data directory (`<log>/<first-id>.chunk`). */
  file: string;
  /** Its first byte that is not part of an intact record. */
  offset: number;
  reason: string;
  /** The file holds no record of the log (an empty or unreadable stray chunk): moving it alone aside repairs this. */
  stray?: boolean;
}

export interface RecoveredLog {
  chunks: Chunk[];
  /** Bytes cut from chunk tails (torn, corrupt or uncommitted records, trailing garbage). */
  droppedBytes: number;
  /** Index files rebuilt or fixed. */
  repairedIndexes: number;
  /** Whole chunks dropped after a torn newest sealed chunk (a power loss during its seal). */
  droppedChunks: number;
  /** The marker as found (null: none), so that the caller can move it to the recovered end. */
  durable: DurablePoint | null;
  /** Set when the log is damaged: then `chunks` is empty and no file was changed. */
  damage: Damage | null;
  /** The first index file that could not be rewritten (a full disk): its chunk keeps the index in memory. */
  indexWriteFailure?: string;
}

/** What recovery may cut in a log, from its durable point. */
interface Rules {
  dir: string;
  log: string;
  durable: DurablePoint | null;
  /** Bytes at or after this may be unsynced (policy interval/none and a reboot since): a torn tail there is cut. */
  unsyncedFrom: { chunk: number; bytes: number } | null;
  /** Chunks from this first id on may have unsynced index files: they are checked entry by entry. */
  verifyFrom: number;
}

class DamageFound extends Error {
  constructor(readonly damage: Damage) {
    super(damage.reason);
  }
}

/**
 * Checks and repairs every chunk of the log in `dir`; the last one is left open for writing.
 * `scanAll` (logtool repair): every chunk is scanned whole, so damage anywhere is found.
 */
export function recoverLog(dir: string, log: string, scanAll = false): RecoveredLog {
  const ids = chunksIn(dir).map((chunk) => chunk.firstId);
  const durable = readDurable(dir);
  const result: RecoveredLog = { chunks: [], droppedBytes: 0, repairedIndexes: 0, droppedChunks: 0, durable, damage: null };
  if (ids.length === 0) {
    if (durable && durable.bytes > 0) {
      result.damage = {
        file: `${log}/${chunkBaseName(durable.chunk)}${CHUNK_SUFFIX}`,
        offset: 0,
        reason: `no chunk files, but ${durable.bytes} bytes of chunk ${durable.chunk} were synced`,
      };
      return result;
    }
    result.chunks.push(Chunk.create(dir, 1));
    return result;
  }
  const rules = rulesOf(dir, log, durable);
  if (scanAll) rules.verifyFrom = 0;
  // Nothing is changed until every chunk has been checked: a damaged log is left exactly as found.
  const plans: ChunkPlan[] = [];
  try {
    for (const [c, id] of ids.entries()) {
      const next = ids[c + 1];
      const plan = checkChunk(rules, id, next === undefined ? undefined : next - id);
      plans.push(plan);
      if (next === undefined) break;
      if (plan.chunk.count < next - id) {
        const where = { file: relative(rules, id), offset: plan.chunk.size };
        if (!mayBeTorn(rules, id, plan.chunk.size)) {
          throw new DamageFound({ ...where, reason: `chunk ends at id ${id + plan.chunk.count - 1} but the next chunk starts at ${next}` });
        }
        // A power loss before this chunk's seal finished (interval/none): the log ends here,
        // as it would have in the active chunk; the chunks after it were never synced.
        plan.chunk.close();
        const cut = checkChunk(rules, id, undefined);
        cut.drop = ids.slice(c + 1);
        plans[plans.length - 1] = cut;
        break;
      }
    }
  } catch (err) {
    for (const plan of plans) plan.chunk.close();
    if (!(err instanceof DamageFound)) throw err;
    result.damage = strayAfter(rules, ids, err.damage) ?? err.damage;
    return result;
  }
  for (const plan of plans) {
    apply(plan, plan === plans[plans.length - 1], result);
    result.chunks.push(plan.chunk);
    for (const later of plan.drop) dropChunk(dir, later, result);
  }
  for (const chunk of result.chunks.slice(0, -1)) chunk.close(); // sealed chunks reopen on their first read
  return result;
}

/**
 * A chunk that ends short of, or runs past, the next chunk's first id because that next file is
 * a stray (empty, or a directory): the stray is the damage (moving it aside repairs the log without cutting).
 */
function strayAfter(rules: Rules, ids: number[], damage: Damage): Damage | null {
  const c = ids.findIndex((id) => relative(rules, id) === damage.file);
  const nextId = c < 0 ? undefined : ids[c + 1];
  if (nextId === undefined || damage.stray) return null;
  const next = join(rules.dir, chunkBaseName(nextId) + CHUNK_SUFFIX);
  const stat = fs.statSync(next, { throwIfNoEntry: false });
  if (!stat || (stat.isFile() && stat.size > 0)) return null;
  const what = stat.isFile() ? 'an empty chunk file' : 'not a file';
  return { file: relative(rules, nextId), offset: 0, reason: `${what}, named like a chunk of the log (${damage.reason})`, stray: true };
}

function rulesOf(dir: string, log: string, durable: DurablePoint | null): Rules {
  const weak = durable !== null && durable.policy !== 'always' && durable.boot !== currentBoot();
  return {
    dir,
    log,
    durable,
    unsyncedFrom: weak ? { chunk: durable.chunk, bytes: durable.bytes } : null,
    // After a kill the index files hold what this process wrote (the page cache survives); after
    // a power loss, those written since the durable point may hold anything. Reads check them all.
    verifyFrom: weak ? durable.chunk : Infinity,
  };
}

function relative(rules: Rules, firstId: number): string {
  return `${rules.log}/${chunkBaseName(firstId)}${CHUNK_SUFFIX}`;
}

/** Bytes from `offset` of chunk `firstId` on may be unsynced, so a tear there is a torn tail. */
function mayBeTorn(rules: Rules, firstId: number, offset: number): boolean {
  return rules.unsyncedFrom !== null && atOrAfter(firstId, offset, rules.unsyncedFrom);
}

/** Bytes before the durable point were synced: a tear there is damage whatever the policy. */
function belowDurablePoint(rules: Rules, firstId: number, offset: number): boolean {
  return rules.durable !== null && !atOrAfter(firstId, offset, rules.durable);
}

/** A checked chunk and the changes recovery will make to it. */
interface ChunkPlan {
  chunk: Chunk;
  /** The file's size: bytes from chunk.size on are cut. */
  fileSize: number;
  indexSize: number;
  index: IndexBuffer | null;
  /** Leading entries of the index file that are right. */
  kept: number;
  repaired: boolean;
  /** Later chunks to delete (after a torn sealed chunk). */
  drop: number[];
}

/** Opens and checks one chunk, changing nothing. `expected`: its record count if sealed, undefined if active. */
function checkChunk(rules: Rules, firstId: number, expected: number | undefined): ChunkPlan {
  const chunk = new Chunk(rules.dir, firstId);
  try {
    chunk.openForCheck((path) => openIndex(path, false));
  } catch (err) {
    chunk.close();
    throw new DamageFound({ file: relative(rules, firstId), offset: 0, reason: `cannot open: ${(err as Error).message}`, stray: true });
  }
  const fileSize = fs.fstatSync(chunk.fd).size;
  const indexSize = chunk.indexFd < 0 ? 0 : fs.fstatSync(chunk.indexFd).size;
  const plan: ChunkPlan = { chunk, fileSize, indexSize, index: null, kept: 0, repaired: false, drop: [] };
  const verify = firstId >= rules.verifyFrom;
  if (!verify && expected !== undefined && expected > 0 && indexSize === expected * INDEX_ENTRY_BYTES && sealedChunkOk(chunk, fileSize, expected)) {
    plan.kept = expected;
  } else {
    Object.assign(plan, rebuildIndex(chunk, fileSize, indexSize, expected ?? Infinity, verify));
    plan.repaired ||= expected !== undefined && indexSize !== expected * INDEX_ENTRY_BYTES;
  }
  if (chunk.size < fileSize) checkTail(rules, chunk, fileSize, expected);
  return plan;
}

/**
 * The bytes from chunk.size on are not records of this chunk. Throws DamageFound unless they are
 * a torn tail: an uncommitted round, bytes that may be unsynced, or (when nothing after them is a
 * record) the one round in flight. A sealed chunk's tail is damage if it is the next chunk's record.
 */
function checkTail(rules: Rules, chunk: Chunk, fileSize: number, expected: number | undefined): void {
  const at = chunk.size;
  const damage = (reason: string): DamageFound => new DamageFound({ file: relative(rules, chunk.firstId), offset: at, reason });
  if (expected !== undefined) {
    if (chunk.count < expected) return; // short: the caller decides
    if (findFrameAfter(chunk.fd, at, fileSize, at + 1) === at)
      throw damage(`holds records past id ${chunk.firstId + expected - 1}, where the next chunk starts`);
    return; // bytes appended to a full sealed chunk are not records: cut
  }
  if (isUncommittedFrame(chunk.fd, at, fileSize)) return;
  if (belowDurablePoint(rules, chunk.firstId, at))
    throw damage(`record ${chunk.firstId + chunk.count} is unreadable below the durable point (${rules.durable!.bytes} bytes synced)`);
  if (mayBeTorn(rules, chunk.firstId, at)) return;
  const next = findFrameAfter(chunk.fd, at + 1, fileSize, fileSize);
  if (next >= 0) throw damage(`record ${chunk.firstId + chunk.count} is unreadable, and a record follows at byte ${next}`);
}

/** Makes the planned changes: cut the torn tail, write the index entries that were missing or wrong. */
function apply(plan: ChunkPlan, active: boolean, result: RecoveredLog): void {
  const { chunk, fileSize, indexSize } = plan;
  if (chunk.size < fileSize) {
    fs.ftruncateSync(chunk.fd, chunk.size);
    result.droppedBytes += fileSize - chunk.size;
  }
  const index = plan.index;
  if (!index) return; // a sealed chunk whose index file was right
  if (plan.repaired) result.repairedIndexes++;
  if (plan.kept < index.length || index.length * INDEX_ENTRY_BYTES !== indexSize || (active && chunk.indexFd < 0)) {
    try {
      chunk.createIndexFile((path) => openIndex(path, true));
      fs.writeSync(chunk.indexFd, index.bytes(plan.kept, index.length), 0, (index.length - plan.kept) * INDEX_ENTRY_BYTES, plan.kept * INDEX_ENTRY_BYTES);
      fs.ftruncateSync(chunk.indexFd, index.length * INDEX_ENTRY_BYTES);
    } catch (err) {
      // A full disk: the index is a cache; this chunk keeps it in memory instead.
      result.indexWriteFailure ??= `${chunk.indexPath}: ${(err as Error).message}`;
      chunk.recovered(active, index, plan.kept);
      return;
    }
  }
  chunk.recovered(active, index, index.length);
}

/** Deletes a chunk and its index, counting its bytes as dropped. */
function dropChunk(dir: string, firstId: number, result: RecoveredLog): void {
  const chunk = new Chunk(dir, firstId);
  result.droppedBytes += fs.statSync(chunk.chunkPath).size;
  result.droppedChunks++;
  fs.rmSync(chunk.chunkPath);
  fs.rmSync(chunk.indexPath, { force: true });
}
