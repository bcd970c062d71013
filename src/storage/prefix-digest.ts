// The running digest of a log's prefix: digest(n) is the CRC-32 of the stored header lines
// (`REC <id> <ts> <len> <crc>` CRLF) of records 1..n back to back, digest(0) = 0; so
// digest(n) = crc32(header line of n, seeded with digest(n-1)). Each header carries its payload's
// CRC, so one comparison of digest(n) tells whether two copies hold the same records 1..n, not
// only the same record n (REPLICATE's resume check, PROTOCOL.md).
//
// Computed lazily from the records (nothing on the append path, nothing at open), from the
// nearest known point below: every CHECKPOINT_EVERY-th id (and more often for large records) is
// remembered and appended to `<log>/digests` (one line `<id> <digest> <ts> <len> <crc>` each, a
// cache), so a lookup reads at most that many records or CHECKPOINT_BYTES. A trim first makes the point just below the new first id durable: the
// records it was computed from are gone after it. A point from the file is used only while record
// <id> still has the stamp it was computed over (records past a crash's cut are written again
// with new timestamps); points below the first retained id cannot change any more. A log trimmed
// before it had a point there (or by an older logd) has no digest: lookups answer null.
import { appendFileSync, closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { appendFile, open, readFile } from 'node:fs/promises';
import { newFrameHeader, parseFrame, type RecordStamp } from '../../protocol/frame.ts';
import { crcOfRange } from '../../protocol/crc.ts';
import type { ReadResult } from './reader.ts';

/** What the digests are computed from: the log's records. */
export interface DigestSource {
  first(): number;
  read(start: number, maxRecords: number, maxBytes: number): ReadResult | Promise<ReadResult>;
  stampOf(id: number): Promise<RecordStamp>;
}

interface Point extends RecordStamp {
  digest: number;
  /** Read from the file, its stamp not yet compared with the record's. */
  unverified: boolean;
  /** A checkpoint, a trim point or a point from the file: kept for good. */
  kept: boolean;
}

/** Ids whose digest is remembered and written to the file: every this many records... */
const CHECKPOINT_EVERY = 4096;
/** ...and after this many bytes since the last checkpoint (large records), so a lookup reads at most about this much. */
const CHECKPOINT_BYTES = 16 << 20;
/** Bytes read per step while digesting. */
const READ_BYTES = 4 << 20;
export const DIGEST_FILE = 'digests';

export class PrefixDigests {
  private readonly points = new Map<number, Point>();
  /** The ids of `points`, ascending. */
  private ids: number[] = [];
  private loaded: Promise<void> | null = null;
  /** The log was trimmed with no point kept: it has no digest, for good. */
  private unknowable = false;
  /** The one point kept that is no checkpoint: the newest id looked up (a follower resumes past it). */
  private latest = 0;

  constructor(
    private readonly path: string,
    private readonly log: DigestSource,
  ) {}

  /** digest(id), or null when it cannot be known (trimmed before a point was kept). */
  async digestOf(id: number): Promise<number | null> {
    if (id === 0) return 0;
    await (this.loaded ??= this.load());
    for (;;) {
      const at = this.below(id);
      const k = at < 0 ? 0 : this.ids[at]!;
      if (k + 1 < this.log.first()) {
        this.unknowable = at < 0; // no point at all below: trimmed before one was kept (an older logd)
        return null; // the records after the nearest point are trimmed
      }
      const point = this.points.get(k);
      if (point?.unverified && k >= this.log.first()) {
        const stamp = await this.log.stampOf(k);
        if (stamp.ts !== point.ts || stamp.len !== point.len || stamp.crc !== point.crc) {
          this.forget(k);
          continue;
        }
        point.unverified = false;
      }
      return this.scan(k, point ? point.digest : 0, id);
    }
  }

  /** The log drops every record (a replica restarting past a trimmed source): nothing known holds any more. */
  reset(): void {
    this.points.clear();
    this.ids = [];
    this.latest = 0;
    this.unknowable = false;
    this.loaded = Promise.resolve();
    rmSync(this.path, { force: true });
  }

  /**
   * digest(id) as the source of a copy that starts at id + 1 (it joined a trimmed log) tells it:
   * kept durably, since no record of this copy can ever recompute it.
   */
  adopt(id: number, digest: number): void {
    if (this.points.has(id)) return;
    this.add(id, { ts: 0, len: 0, crc: 0, digest, unverified: false, kept: true });
    this.unknowable = false;
    const fd = openSync(this.path, 'a');
    try {
      appendFileSync(fd, line(id, { ts: 0, len: 0, crc: 0, digest }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** True when a trim to `first` needs no prepareTrim: the point is in memory, or there is no digest to keep. */
  isPrepared(first: number): boolean {
    const point = this.points.get(first - 1);
    return first === 1 || this.unknowable || (point?.kept === true && !point.unverified);
  }

  /** Before a trim to `first`: computes digest(first - 1) while the records it needs are still there. */
  async prepareTrim(first: number): Promise<void> {
    const digest = await this.digestOf(first - 1);
    if (digest === null) return;
    const point = this.points.get(first - 1);
    const stamp = point ?? (await this.log.stampOf(first - 1));
    this.add(first - 1, { ts: stamp.ts, len: stamp.len, crc: stamp.crc, digest, unverified: false, kept: true });
  }

  /** After the trim to `first` took the chunks out: makes the point first - 1 durable (it needs none of them). */
  async persistTrim(first: number): Promise<void> {
    const point = this.points.get(first - 1);
    if (!point) return;
    const file = await open(this.path, 'a');
    try {
      await file.appendFile(line(first - 1, point));
      await file.sync();
    } finally {
      await file.close();
    }
  }

  /** Digests the headers of records from+1..to, starting from digest(from) = `digest`. */
  private async scan(from: number, digest: number, to: number): Promise<number> {
    const h = newFrameHeader(); // not shared: scans run concurrently
    let id = from + 1;
    let bytes = 0;
    while (id <= to) {
      const { data, count } = await this.log.read(id, to - id + 1, READ_BYTES);
      const checkpoints: number[] = [];
      for (let pos = 0, i = 0; i < count; i++, id++) {
        const len = parseFrame(data, pos, data.length, h);
        digest = crcOfRange(data, pos, pos + h.headerLength, digest);
        pos += len;
        bytes += len;
        const checkpoint = id % CHECKPOINT_EVERY === 0 || bytes >= CHECKPOINT_BYTES;
        if (checkpoint) bytes = 0;
        if ((checkpoint || id === to) && !this.points.has(id)) {
          const kept = checkpoint;
          this.add(id, { ts: h.ts, len: h.len, crc: h.crc, digest, unverified: false, kept });
          if (kept) checkpoints.push(id);
          else this.keepLatest(id);
        }
      }
      for (const c of checkpoints) await appendFile(this.path, line(c, this.points.get(c)!));
    }
    return digest;
  }

  /** `id` becomes the one point kept besides checkpoints and trim points. */
  private keepLatest(id: number): void {
    if (this.latest > id) return this.forget(id);
    if (this.latest === id) return;
    const previous = this.latest;
    this.latest = id;
    if (this.points.get(previous)?.kept === false) this.forget(previous);
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'latin1');
    } catch {
      return; // no file yet (a new log, or data written by an older logd)
    }
    for (const l of text.split('\n')) {
      const m = /^(\d{1,16}) ([0-9a-f]{8}) (\d{1,16}) (\d{1,16}) ([0-9a-f]{8})$/.exec(l);
      if (!m) continue; // a line cut by a crash
      const id = Number(m[1]);
      this.add(id, { digest: parseInt(m[2]!, 16), ts: Number(m[3]), len: Number(m[4]), crc: parseInt(m[5]!, 16), unverified: true, kept: true });
    }
  }

  private add(id: number, point: Point): void {
    if (!this.points.has(id)) {
      const at = this.below(id) + 1;
      this.ids.splice(at, 0, id);
    }
    this.points.set(id, point);
  }

  private forget(id: number): void {
    this.points.delete(id);
    this.ids.splice(this.ids.indexOf(id), 1);
  }

  /** The index in `ids` of the greatest id <= `id`, or -1. */
  private below(id: number): number {
    let lo = 0;
    let hi = this.ids.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! <= id) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

function line(id: number, p: RecordStamp & { digest: number }): string {
  return `${id} ${hex(p.digest)} ${p.ts} ${p.len} ${hex(p.crc)}\n`;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
