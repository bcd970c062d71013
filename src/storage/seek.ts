// SEEK by time: the first record whose timestamp is at or after a time. Timestamps never go
// backwards within a log (writer.ts stamps max(clock, previous)), so a binary search over the chunks
// by their first record, then one within the chunk through its index, finds it in O(log n)
// reads: per probe one index entry (in memory for the active chunk) and one record header.
import { LogdError } from '../../protocol/errors.ts';
import { MAX_FRAME_HEADER, frameHeaderTimestamp } from '../../protocol/frame.ts';
import type { Chunk } from './chunk.ts';

/** The timestamp of record firstId+i of a chunk whose files are open. */
export async function timestampAt(chunk: Chunk, i: number): Promise<number> {
  const from = await chunk.position(i);
  // The header is all that is parsed: bytes of the next record after it are harmless.
  const to = Math.min(from + MAX_FRAME_HEADER, chunk.size);
  const ts = frameHeaderTimestamp(await chunk.bytes(from, to));
  if (ts < 0) throw new LogdError('internal', `corrupt record ${chunk.firstId + i} in ${chunk.chunkPath}`);
  return ts;
}

/**
 * `chunks`: the log's chunks, oldest first; records above `head` are not looked at.
 * `stamp(chunk, i)`: the timestamp of record firstId+i of the chunk.
 */
export async function seekTime(chunks: readonly Chunk[], head: number, time: number, stamp: (chunk: Chunk, i: number) => Promise<number>): Promise<number> {
  // Records of chunk c: ids firstId .. firstId+count-1, at most up to the head (an empty active chunk has none).
  const counted = (c: Chunk): number => Math.max(0, Math.min(c.count, head - c.firstId + 1));
  let n = chunks.length;
  while (n > 0 && counted(chunks[n - 1]!) === 0) n--;
  // The first chunk whose first record is at or after `time`.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((await stamp(chunks[mid]!, 0)) >= time) hi = mid;
    else lo = mid + 1;
  }
  const after = lo < n ? chunks[lo]!.firstId : head + 1;
  if (lo === 0) return after;
  // Every record before chunk lo is earlier than its first: the answer is in chunk lo-1 (past its first record) or is `after`.
  const chunk = chunks[lo - 1]!;
  let i = 1;
  let j = counted(chunk);
  while (i < j) {
    const mid = (i + j) >>> 1;
    if ((await stamp(chunk, mid)) >= time) j = mid;
    else i = mid + 1;
  }
  return i < counted(chunk) ? chunk.firstId + i : after;
}
