// Checking a chunk's .idx file against its frames (the index is a cache of the chunk): in O(1)
// for a sealed chunk at open, by validation and a scan of the unindexed tail for the active one,
// entry by entry where it may be wrong (after a power loss, or when a read was led astray).
import fs from 'node:fs';
import type { Chunk } from './chunk.ts';
import { INDEX_ENTRY_BYTES, IndexBuffer, readEntry } from './index-buffer.ts';
import { scanFrames } from './scan.ts';

/** The index file opened for reading and writing; -1 if it is missing and not `create`. */
export function openIndex(path: string, create: boolean): number {
  try {
    return fs.openSync(path, fs.constants.O_RDWR | (create ? fs.constants.O_CREAT : 0));
  } catch (err) {
    if (!create && (err as NodeJS.ErrnoException).code === 'ENOENT') return -1; // rebuilt, created only when written
    throw err;
  }
}

/** O(1) check of a sealed chunk: its last index entry points at its last record. Sets count and size. */
export function sealedChunkOk(chunk: Chunk, size: number, expected: number): boolean {
  const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
  fs.readSync(chunk.indexFd, entry, 0, INDEX_ENTRY_BYTES, (expected - 1) * INDEX_ENTRY_BYTES);
  const lastPos = readEntry(entry, 0);
  if (lastPos >= size) return false;
  const end = scanFrames(chunk.fd, lastPos, size, chunk.firstId + expected - 1, 1, () => {});
  if (end === lastPos) return false;
  chunk.commit(expected, end);
  return true;
}

/**
 * Validates the index file against the chunk and scans the records past its last trusted entry
 * (with `verify`, scans the whole chunk and compares every entry); sets the chunk's count and size.
 * `kept`: leading entries of the file that are right; `repaired`: the file held wrong entries.
 */
export function rebuildIndex(
  chunk: Chunk,
  size: number,
  indexSize: number,
  maxRecords: number,
  verify: boolean,
): { index: IndexBuffer; kept: number; repaired: boolean } {
  const bytes = Buffer.allocUnsafe(indexSize);
  const got = indexSize > 0 ? fs.readSync(chunk.indexFd, bytes, 0, indexSize, 0) : 0;
  const fileEntries = Math.floor(got / INDEX_ENTRY_BYTES);
  const ragged = got % INDEX_ENTRY_BYTES !== 0;
  if (verify) {
    const index = new IndexBuffer();
    const end = scanFrames(chunk.fd, 0, size, chunk.firstId, maxRecords, (pos) => index.push(pos));
    chunk.commit(index.length, end);
    let kept = 0;
    const common = Math.min(fileEntries, index.length);
    while (kept < common && readEntry(bytes, kept * INDEX_ENTRY_BYTES) === index.get(kept)) kept++;
    return { index, kept, repaired: kept < fileEntries || ragged };
  }
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
  const end = scanFrames(chunk.fd, from, size, chunk.firstId + kept, maxRecords - kept, (pos) => index.push(pos));
  chunk.commit(index.length, end);
  return { index, kept, repaired: trusted < fileEntries || ragged };
}

/**
 * Read time: rebuilds a sealed, open chunk's index file from its frames when any entry is wrong.
 * Returns the number of wrong entries (0: the index is right, or a record itself is damaged).
 */
export function reindexSealed(chunk: Chunk): number {
  const index = new IndexBuffer(chunk.count);
  scanFrames(chunk.fd, 0, chunk.size, chunk.firstId, chunk.count, (pos) => index.push(pos));
  if (index.length !== chunk.count) return 0;
  const file = fs.readFileSync(chunk.indexPath);
  let wrong = Math.abs(file.length - chunk.count * INDEX_ENTRY_BYTES) > 0 ? 1 : 0;
  for (let i = 0; i < chunk.count; i++) {
    if ((i + 1) * INDEX_ENTRY_BYTES > file.length || readEntry(file, i * INDEX_ENTRY_BYTES) !== index.get(i)) wrong++;
  }
  // In place (same inode): readers' open descriptors see the new entries.
  if (wrong > 0) fs.writeFileSync(chunk.indexPath, index.bytes(0, index.length));
  return wrong;
}
