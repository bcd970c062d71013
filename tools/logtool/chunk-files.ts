// Reading a data directory offline (verify, dump): the frames of a chunk with what ends them, and
// its index. The layout is protocol/STORAGE.md's; the logs and chunks are listed, and index
// entries decoded, with src/storage's own helpers (listing.ts, index-buffer.ts).
import { open, stat } from 'node:fs/promises';
import { FRAME_INCOMPLETE, FRAME_MALFORMED, frameCrcMatches, newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { INDEX_ENTRY_BYTES, readEntry } from '../../src/storage/index-buffer.ts';

export interface ScannedFrame {
  /** Byte position of the frame in the chunk. */
  pos: number;
  id: number;
  timestamp: number;
  crc: number;
  crcOk: boolean;
  payload: Buffer;
  /** The whole frame as stored. */
  bytes: Buffer;
}

/**
 * Why a scan stopped: the end of the file; a torn tail (an unfinished frame, zeroes, or a
 * write that was never committed: its first byte is still 'X'), which recovery truncates
 * when the chunk is the last one; or bytes that are no frame at all.
 */
export type ScanEnd = { kind: 'eof' } | { kind: 'torn'; pos: number; bytes: number; reason: string } | { kind: 'corrupt'; pos: number; reason: string };

const BLOCK = 1 << 20;
const UNCOMMITTED = 88; // 'X'

/** Reads a chunk's frames from `start` (a frame boundary), block by block. */
export class ChunkScanner {
  end: ScanEnd = { kind: 'eof' };
  /** Bytes the scan has read so far (for progress). */
  bytesRead = 0;

  constructor(
    readonly path: string,
    private readonly start = 0,
  ) {}

  async *frames(): AsyncGenerator<ScannedFrame> {
    const file = await open(this.path, 'r');
    try {
      const size = (await file.stat()).size;
      const h = newFrameHeader();
      let buf = Buffer.allocUnsafe(BLOCK);
      let bufPos = this.start; // file position of buf[0]
      let have = 0;
      let off = 0;
      for (;;) {
        const n = parseFrame(buf, off, have, h);
        if (n > 0) {
          const bytes = buf.subarray(off, off + n);
          const from = off + h.headerLength;
          yield {
            pos: bufPos + off,
            id: h.id,
            timestamp: h.ts,
            crc: h.crc,
            crcOk: frameCrcMatches(buf, off, h),
            payload: buf.subarray(from, from + h.len),
            bytes,
          };
          off += n;
          continue;
        }
        const atEof = bufPos + have >= size;
        if (n === FRAME_MALFORMED || atEof) {
          if (bufPos + off < size) this.end = classify(buf.subarray(off, have), bufPos + off, size, n === FRAME_INCOMPLETE);
          return;
        }
        // Need more bytes: keep the unfinished frame at the front, in a fresh buffer (yielded
        // frames may still be in use), twice as big if the frame fills the whole buffer.
        const next = Buffer.allocUnsafe(off === 0 && have === buf.length ? buf.length * 2 : buf.length);
        buf.copy(next, 0, off, have);
        have -= off;
        bufPos += off;
        off = 0;
        buf = next;
        const { bytesRead } = await file.read(buf, have, Math.min(buf.length - have, size - bufPos - have), bufPos + have);
        have += bytesRead;
        this.bytesRead = bufPos + have - this.start;
        if (bytesRead === 0) return;
      }
    } finally {
      await file.close();
    }
  }
}

function classify(rest: Buffer, pos: number, size: number, incomplete: boolean): ScanEnd {
  const bytes = size - pos;
  if (rest[0] === UNCOMMITTED) return { kind: 'torn', pos, bytes, reason: 'a write that was never committed' };
  if (incomplete) return { kind: 'torn', pos, bytes, reason: 'an unfinished record' };
  if (rest.length === bytes && rest.every((b) => b === 0)) return { kind: 'torn', pos, bytes, reason: 'zeroes' };
  return { kind: 'corrupt', pos, reason: `not a record: ${JSON.stringify(rest.toString('latin1', 0, 24))}` };
}

/** The entries of an .idx file (byte positions), or null if it does not exist. */
export async function readIndex(path: string): Promise<{ entries: number[]; extraBytes: number } | null> {
  let data: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      data = await file.readFile();
    } finally {
      await file.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const count = Math.floor(data.length / INDEX_ENTRY_BYTES);
  const entries = new Array<number>(count);
  for (let i = 0; i < count; i++) entries[i] = readEntry(data, i * INDEX_ENTRY_BYTES);
  return { entries, extraBytes: data.length - count * INDEX_ENTRY_BYTES };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
