// The read path of one log: records by id (READ, REPLICATE, digests), one record's stored header
// (resume checks) and the first id at a time (SEEK). Stored bytes are returned unchanged, each
// record checked (shape, id, CRC) unless it comes from the tail cache of this process's own rounds.
import { LogdError } from '../../protocol/errors.ts';
import { frameCrcMatches, newFrameHeader, parseFrame, type RecordStamp } from '../../protocol/frame.ts';
import type { Chunk } from './chunk.ts';
import type { ChunkSet } from './chunk-set.ts';
import { reindexSealed } from './index-check.ts';
import { seekTime, timestampAt } from './seek.ts';
import type { TailCache } from './tail-cache.ts';

export interface ReadResult {
  /** Concatenated REC frames exactly as stored. */
  data: Buffer;
  count: number;
  /** The id after the last record returned. */
  next: number;
}

/** What the reader needs of its log. */
export interface ReaderHost {
  readonly name: string;
  readonly chunks: ChunkSet;
  readonly tail: TailCache;
  logger(line: string): void;
  head(): number;
  lostError(): LogdError | null;
  gone(): LogdError;
}

const EMPTY = Buffer.alloc(0);
const header = newFrameHeader();

export class Reader {
  constructor(private readonly log: ReaderHost) {}

  /**
   * Up to maxRecords records from `start` within maxBytes (at least one if any is available, even
   * one larger than maxBytes), never past the head. When all of them are in the tail cache the
   * result comes synchronously, with no promise or disk read: the live follower's case (with a
   * hundred followers, per step times a hundred).
   */
  read(start: number, maxRecords: number, maxBytes: number): ReadResult | Promise<ReadResult> {
    const lost = this.log.lostError();
    if (lost) return Promise.reject(lost);
    if (start < this.log.chunks.first()) return Promise.reject(this.log.gone());
    return this.cached(start, maxRecords, maxBytes) ?? this.readFiles(start, maxRecords, maxBytes);
  }

  private cached(start: number, maxRecords: number, maxBytes: number): ReadResult | null {
    const chunk = this.log.chunks.active;
    const index = chunk.activeIndex;
    const i = start - chunk.firstId;
    const want = Math.min(maxRecords, this.log.head() - start + 1);
    if (i < 0 || want <= 0 || i + want > index.length) return null;
    const from = index.get(i);
    const to = i + want === chunk.count ? chunk.size : index.get(i + want);
    if (to - from > maxBytes) return null;
    const data = this.log.tail.slice(from, to);
    return data && { data, count: want, next: start + want };
  }

  private async readFiles(start: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    const { chunks } = this.log;
    const head = this.log.head();
    const parts: Buffer[] = [];
    let count = 0;
    let bytes = 0;
    let id = start;
    while (id <= head && count < maxRecords) {
      if (id < chunks.first()) throw this.log.gone(); // trimmed while this read was running
      const want = Math.min(maxRecords - count, head - id + 1);
      const range = await chunks.withChunk(chunks.chunkOf(id), (chunk) =>
        this.readRange(chunk, id, Math.min(want, chunk.firstId + chunk.count - id), maxBytes - bytes, count === 0),
      );
      if (range.count === 0) break;
      parts.push(range.data);
      count += range.count;
      bytes += range.data.length;
      id += range.count;
      if (bytes >= maxBytes || range.short) break; // short: a corrupt record follows; the next read reports it
    }
    const data = parts.length === 1 ? parts[0]! : parts.length === 0 ? EMPTY : Buffer.concat(parts, bytes);
    return { data, count, next: id };
  }

  /** Up to `want` records from `id` within one chunk, within `byteBudget` unless `atLeastOne`. */
  private async readRange(
    chunk: Chunk,
    id: number,
    want: number,
    byteBudget: number,
    atLeastOne: boolean,
    reindexed = false,
  ): Promise<{ data: Buffer; count: number; short?: boolean }> {
    const i = id - chunk.firstId;
    const [from, end] = await Promise.all([chunk.position(i), chunk.position(i + want)]);
    let to = end;
    const cut = to - from > byteBudget;
    if (!cut && chunk.isActive) {
      // Bytes of this process's own rounds, framed from payloads whose CRCs it computed: no disk
      // read, no copy, no re-check.
      const cached = this.log.tail.slice(from, to);
      if (cached) return { data: cached, count: want };
    }
    if (cut) to = atLeastOne ? Math.max(from + byteBudget, await chunk.position(i + 1)) : from + byteBudget;
    const data = await chunk.bytes(from, to);
    let pos = 0;
    let count = 0;
    while (count < want) {
      const len = parseFrame(data, pos, data.length, header);
      if (len === 0 && cut) break; // the byte budget ends inside this record
      if (len <= 0 || header.id !== id + count || !frameCrcMatches(data, pos, header)) {
        // The index is a cache: a sealed chunk's may have led here; rebuilt from the frames, the read is retried once.
        if (!reindexed && !chunk.isActive && this.reindex(chunk)) return this.readRange(chunk, id, want, byteBudget, atLeastOne, true);
        if (count > 0) return { data: data.subarray(0, pos), count, short: true }; // the good records before it go first
        this.log.logger(`log ${this.log.name}: corrupt record ${id} in ${chunk.chunkPath} at byte ${from + pos}`);
        throw new LogdError('internal', `corrupt record ${id}`);
      }
      pos += len;
      count++;
    }
    return { data: pos === data.length ? data : data.subarray(0, pos), count };
  }

  /** Rebuilds a sealed chunk's index file from its frames if it was wrong; true if it was. */
  private reindex(chunk: Chunk): boolean {
    try {
      const wrong = reindexSealed(chunk);
      if (wrong > 0) this.log.logger(`log ${this.log.name}: index ${chunk.indexPath} had ${wrong} wrong entries; rebuilt from the chunk`);
      return wrong > 0;
    } catch (err) {
      this.log.logger(`log ${this.log.name}: cannot rebuild index ${chunk.indexPath}: ${(err as Error).message}`);
      return false;
    }
  }

  /** The stored header of record `id` (what a follower's resume check compares). */
  async stampOf(id: number): Promise<RecordStamp> {
    const head = this.log.head();
    if (id < this.log.chunks.first()) throw this.log.gone();
    if (id > head) throw new LogdError('internal', `record ${id} of ${this.log.name} does not exist (head ${head})`);
    const { data } = await this.read(id, 1, 1);
    parseFrame(data, 0, data.length, header);
    return { ts: header.ts, len: header.len, crc: header.crc };
  }

  /** The newest stored timestamp (the head record's), 0 for an empty log or when it cannot be read. */
  async headTimestamp(): Promise<number> {
    const head = this.log.head();
    if (head === 0) return 0;
    try {
      return (await this.stampOf(head)).ts;
    } catch (err) {
      this.log.logger(`log ${this.log.name}: cannot read the timestamp of record ${head}: ${(err as Error).message}`);
      return 0;
    }
  }

  /**
   * The first id whose timestamp is at or after `time` (ms), head + 1 when none: a binary search
   * over the chunks, then within one through its index (seek.ts), O(log n) reads.
   */
  async seek(time: number): Promise<number> {
    const { chunks } = this.log;
    for (;;) {
      try {
        return await seekTime(chunks.list(), this.log.head(), time, (chunk, i) => chunks.withChunk(chunk, (c) => timestampAt(c, i)));
      } catch (err) {
        if (!(err instanceof LogdError && err.code === 'gone')) throw err;
        // A chunk was trimmed under the search: search what is left.
      }
    }
  }
}
