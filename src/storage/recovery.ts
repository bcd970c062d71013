// Opening a log directory: the chunks are the truth, the .idx files a cache of them.
// Sealed chunks are checked in O(1) (index length, and the last entry points at the last record,
// which ends at the end of the file); only a chunk failing that is rescanned. The active chunk's
// index is validated (monotonic, inside the file, last trusted entry points at the right record,
// binary search back otherwise), then only the records past it are scanned; the first torn,
// corrupt or uncommitted record ends the log and the file is truncated there. The newest sealed
// chunks may be torn too (sealed in the background under --fsync interval): the log ends there.
// So opening costs time proportional to the unindexed tail, not to the log. See protocol/STORAGE.md.
import fs from 'node:fs';
import { LogdError } from '../../protocol/errors.ts';
import { Chunk, chunkFirstId, chunkBaseName, CHUNK_SUFFIX, UNSYNCED_SEALED_CHUNKS } from './chunk.ts';
import { INDEX_ENTRY_BYTES, IndexBuffer, readEntry } from './index-buffer.ts';
import { scanFrames } from './scan.ts';

export interface RecoveredLog {
  chunks: Chunk[];
  /** Bytes cut from chunk tails (torn, corrupt or uncommitted records, trailing garbage). */
  droppedBytes: number;
  /** Index files rebuilt or fixed. */
  repairedIndexes: number;
  /** Whole chunks dropped after a torn newest sealed chunk (a power loss during its seal). */
  droppedChunks: number;
}

/** Checks and repairs every chunk of the log in `dir`; the last one is left open for writing. */
export function recoverLog(dir: string, log: string): RecoveredLog {
  const ids = fs
    .readdirSync(dir)
    .map(chunkFirstId)
    .filter((id): id is number => id !== undefined)
    .sort((a, b) => a - b);
  const result: RecoveredLog = { chunks: [], droppedBytes: 0, repairedIndexes: 0, droppedChunks: 0 };
  if (ids.length === 0) {
    result.chunks.push(Chunk.create(dir, 1));
    return result;
  }
  try {
    for (let c = 0; c < ids.length; c++) {
      const last = c === ids.length - 1;
      const expected = last ? undefined : ids[c + 1] - ids[c];
      const chunk = recoverChunk(dir, ids[c], expected, result);
      if (!last && chunk.count < expected! && c >= ids.length - 1 - UNSYNCED_SEALED_CHUNKS) {
        // The newest sealed chunks are synced in the background under --fsync interval (log.ts,
        // roll): a power loss before that finished leaves one with a torn tail. The log ends
        // there, as it would have in the active chunk; the chunks after it go.
        chunk.close();
        for (const later of ids.slice(c + 1)) dropChunk(dir, later, result);
        result.chunks.push(recoverChunk(dir, ids[c], undefined, result));
        break;
      }
      result.chunks.push(chunk);
      if (last) break;
      if (chunk.count !== expected) {
        throw new LogdError('internal', `log ${log}: chunk ${chunkBaseName(ids[c])}${CHUNK_SUFFIX} ends at id ${ids[c] + chunk.count - 1} but the next chunk starts at ${ids[c + 1]}: the log is damaged, refusing to open it`);
      }
      chunk.close(); // sealed chunks reopen on their first read
    }
  } catch (err) {
    for (const chunk of result.chunks) chunk.close();
    throw err;
  }
  return result;
}

/** Opens, checks and repairs one chunk. `expected`: its record count if sealed, undefined if active. */
function recoverChunk(dir: string, firstId: number, expected: number | undefined, result: RecoveredLog): Chunk {
  const chunk = new Chunk(dir, firstId, 0, 0, null);
  chunk.fd = fs.openSync(chunk.chunkPath, 'r+');
  chunk.indexFd = fs.openSync(chunk.indexPath, fs.constants.O_RDWR | fs.constants.O_CREAT);
  const size = fs.fstatSync(chunk.fd).size;
  const indexSize = fs.fstatSync(chunk.indexFd).size;
  if (expected !== undefined && expected > 0 && indexSize === expected * INDEX_ENTRY_BYTES && sealedChunkOk(chunk, size, expected, result)) return chunk;
  const { index, kept, repaired } = rebuildIndex(chunk, size, indexSize, expected ?? Infinity);
  if (chunk.size < size) truncate(chunk.fd, chunk.size, size, result);
  if (kept < index.length || index.length * INDEX_ENTRY_BYTES !== indexSize) {
    fs.writeSync(chunk.indexFd, index.bytes(kept, index.length), 0, (index.length - kept) * INDEX_ENTRY_BYTES, kept * INDEX_ENTRY_BYTES);
    fs.ftruncateSync(chunk.indexFd, index.length * INDEX_ENTRY_BYTES);
  }
  if (repaired || (expected !== undefined && indexSize !== expected * INDEX_ENTRY_BYTES)) result.repairedIndexes++;
  chunk.index = expected === undefined ? index : null;
  chunk.indexWritten = index.length;
  return chunk;
}

/** O(1) check of a sealed chunk: its last index entry points at its last record, which ends the file. */
function sealedChunkOk(chunk: Chunk, size: number, expected: number, result: RecoveredLog): boolean {
  const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
  fs.readSync(chunk.indexFd, entry, 0, INDEX_ENTRY_BYTES, (expected - 1) * INDEX_ENTRY_BYTES);
  const lastPos = readEntry(entry, 0);
  if (lastPos >= size) return false;
  const end = scanFrames(chunk.fd, lastPos, size, chunk.firstId + expected - 1, 1, () => {});
  if (end === lastPos) return false;
  if (end < size) truncate(chunk.fd, end, size, result);
  chunk.count = expected;
  chunk.size = end;
  return true;
}

/**
 * Validates the index file against the chunk and scans the records past its last trusted entry;
 * sets the chunk's count and size. `kept`: leading entries taken from the file unchanged;
 * `repaired`: the file held entries that were wrong.
 */
function rebuildIndex(chunk: Chunk, size: number, indexSize: number, maxRecords: number): { index: IndexBuffer; kept: number; repaired: boolean } {
  const bytes = Buffer.allocUnsafe(indexSize);
  const got = indexSize > 0 ? fs.readSync(chunk.indexFd, bytes, 0, indexSize, 0) : 0;
  const fileEntries = Math.floor(got / INDEX_ENTRY_BYTES);
  const entries = Math.min(fileEntries, maxRecords);
  // The longest prefix that starts at 0, strictly increases and stays inside the chunk.
  let trusted = 0;
  for (let prev = -1; trusted < entries; trusted++) {
    const pos = readEntry(bytes, trusted * INDEX_ENTRY_BYTES);
    if (pos <= prev || pos >= size || (trusted === 0 && pos !== 0)) break;
    prev = pos;
  }
  const pointsAtRecord = (i: number): boolean => {
    const pos = readEntry(bytes, i * INDEX_ENTRY_BYTES);
    return scanFrames(chunk.fd, pos, size, chunk.firstId + i, 1, () => {}) > pos;
  };
  if (trusted > 0 && !pointsAtRecord(trusted - 1)) {
    // Binary search for the first entry that no longer points at its record.
    let lo = 0;
    let hi = trusted - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pointsAtRecord(mid)) lo = mid + 1;
      else hi = mid;
    }
    trusted = lo;
  }
  // The scan restarts at the last trusted entry's record, which re-derives that entry.
  const kept = Math.max(0, trusted - 1);
  const index = IndexBuffer.from(bytes, kept);
  const from = trusted > 0 ? readEntry(bytes, kept * INDEX_ENTRY_BYTES) : 0;
  chunk.size = scanFrames(chunk.fd, from, size, chunk.firstId + kept, maxRecords - kept, (pos) => index.push(pos));
  chunk.count = index.length;
  return { index, kept, repaired: trusted < fileEntries || got % INDEX_ENTRY_BYTES !== 0 };
}

/** Deletes a chunk and its index, counting its bytes as dropped. */
function dropChunk(dir: string, firstId: number, result: RecoveredLog): void {
  const chunk = new Chunk(dir, firstId, 0, 0, null);
  result.droppedBytes += fs.statSync(chunk.chunkPath).size;
  result.droppedChunks++;
  fs.rmSync(chunk.chunkPath);
  fs.rmSync(chunk.indexPath, { force: true });
}

function truncate(fd: number, to: number, size: number, result: RecoveredLog): void {
  fs.ftruncateSync(fd, to);
  result.droppedBytes += size - to;
}
