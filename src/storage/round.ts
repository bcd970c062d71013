// How one round's batches become the bytes written to the active chunk: REC frames back to back.
// Small records are framed into one fresh buffer. A payload of GATHER_BYTES or more is not
// copied: it is written from where it already is, between slices of that buffer (one writev).
// At 64 KiB a copy costs about as much as the record's CRC, and a round of large records would
// otherwise need a fresh multi-megabyte buffer, page faults and all.
import { newFrameHeader, parseFrame, payloadCrc, writeFrame, writeFrameHeader } from '../../protocol/frame.ts';
import { Pieces } from '../../protocol/pieces.ts';
import type { BatchRecords } from './batch.ts';
import type { IndexBuffer } from './index-buffer.ts';

/** Payloads at least this large are written in place instead of copied into the round's buffer. */
export const GATHER_BYTES = 16 * 1024;

const CR = 13;
const LF = 10;
/** The first byte of a committed round ('R' of REC) and of one not committed yet ('X'). */
export const COMMIT_BYTE = 82;
export const UNCOMMITTED_BYTE = 88;
const header = newFrameHeader();

export interface RoundBytes {
  /** The round's bytes, in order: one buffer, or slices of it with large payloads between. */
  pieces: Buffer[];
  /** All of the round's bytes in one buffer when nothing was gathered (for the tail cache), else null. */
  whole: Buffer | null;
}

/**
 * Frames the round's batches (`total` bytes, starting at chunk offset `start`), pushing each
 * record's offset to `index`; with `marked`, the first byte is 'X' (uncommitted) instead of 'R'.
 */
export function encodeRound(batches: readonly BatchRecords[], total: number, start: number, ts: number, index: IndexBuffer, marked: boolean): RoundBytes {
  const gathered = gatheredBytes(batches);
  const buf = Buffer.allocUnsafe(total - gathered);
  const pieces: Buffer[] = [];
  let pos = 0; // in buf
  let skipped = 0; // gathered payload bytes so far: the chunk offset is start + pos + skipped
  let pieceStart = 0;
  for (const batch of batches) {
    if (batch.kind === 'frames') {
      const frames = batch.frames;
      for (let p = 0; p < frames.length; p += parseFrame(frames, p, frames.length, header)) index.push(start + skipped + pos + p);
      frames.copy(buf, pos);
      pos += frames.length;
      continue;
    }
    let id = batch.firstId;
    for (const payload of batch.payloads) {
      index.push(start + skipped + pos);
      if (payload.length < GATHER_BYTES) {
        pos = writeFrame(buf, pos, id++, ts, payload, payloadCrc(payload));
        continue;
      }
      pos = writeFrameHeader(buf, pos, id++, ts, payload.length, payloadCrc(payload));
      pieces.push(buf.subarray(pieceStart, pos));
      if (payload instanceof Pieces) pieces.push(...payload.list);
      else pieces.push(payload);
      skipped += payload.length;
      pieceStart = pos;
      buf[pos++] = CR;
      buf[pos++] = LF;
    }
  }
  if (marked) buf[0] = UNCOMMITTED_BYTE;
  if (gathered === 0) return { pieces: [buf], whole: buf };
  if (pieceStart < pos) pieces.push(buf.subarray(pieceStart, pos));
  return { pieces, whole: null };
}

function gatheredBytes(batches: readonly BatchRecords[]): number {
  let bytes = 0;
  for (const batch of batches) {
    if (batch.kind === 'frames') continue;
    for (const p of batch.payloads) if (p.length >= GATHER_BYTES) bytes += p.length;
  }
  return bytes;
}
