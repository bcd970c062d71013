// Sequential check of the REC frames in a chunk file region (used by recovery only, so it reads
// synchronously): shape, terminator, CRC and consecutive ids. A round whose commit byte was never
// written starts with 'X' instead of 'R' and so fails the shape check like any torn record.
import fs from 'node:fs';
import { FRAME_MALFORMED, MAX_FRAME_HEADER, frameCrcMatches, newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { COMMIT_BYTE, UNCOMMITTED_BYTE } from './round.ts';

const BLOCK = 1 << 20;
const header = newFrameHeader();

/**
 * Checks at most `maxFrames` frames of `fd` starting at byte `pos` (before `end`), the first of
 * which must carry id `id`; calls onFrame(position) for each good one. Returns the position
 * after the last good frame: where a torn or corrupt tail begins, or `end`.
 */
export function scanFrames(fd: number, pos: number, end: number, id: number, maxFrames: number, onFrame: (pos: number) => void): number {
  let buf = Buffer.allocUnsafe(Math.min(BLOCK, Math.max(1, end - pos)));
  let bufPos = pos;
  let have = fs.readSync(fd, buf, 0, Math.min(buf.length, end - bufPos), bufPos);
  let off = 0;
  let frames = 0;
  while (frames < maxFrames && bufPos + off < end) {
    const len = parseFrame(buf, off, have, header);
    if (len > 0) {
      if (header.id !== id || !frameCrcMatches(buf, off, header)) break;
      onFrame(bufPos + off);
      off += len;
      id++;
      frames++;
      continue;
    }
    if (len === FRAME_MALFORMED || bufPos + have >= end) break;
    // Incomplete in this block: slide the window to the frame, growing it if the frame is larger.
    if (off === 0) buf = Buffer.allocUnsafe(Math.min(buf.length * 2, end - bufPos));
    bufPos += off;
    off = 0;
    have = fs.readSync(fd, buf, 0, Math.min(buf.length, end - bufPos), bufPos);
  }
  return bufPos + off;
}

/** The frame at `pos` is whole and matches its CRC but starts with 'X': a round whose commit byte never came. */
export function isUncommittedFrame(fd: number, pos: number, end: number): boolean {
  const first = Buffer.allocUnsafe(1);
  if (fs.readSync(fd, first, 0, 1, pos) !== 1 || first[0] !== UNCOMMITTED_BYTE) return false;
  return frameAt(fd, pos, end, true);
}

/**
 * The position of the first whole frame matching its CRC (committed or not) that starts in
 * [from, limit), or -1: whether anything written after a torn record survived. Reads the
 * region once, in blocks, and parses only where "EC " follows an 'R' or 'X'.
 */
export function findFrameAfter(fd: number, from: number, end: number, limit: number): number {
  const buf = Buffer.allocUnsafe(BLOCK);
  for (let at = from; at < limit; at += BLOCK - MAX_FRAME_HEADER) {
    const have = fs.readSync(fd, buf, 0, Math.min(BLOCK, end - at), at);
    for (let i = buf.indexOf('EC ', 1, 'latin1'); i >= 0 && i < have; i = buf.indexOf('EC ', i + 1, 'latin1')) {
      const pos = at + i - 1;
      if (pos >= limit) return -1;
      if ((buf[i - 1] === COMMIT_BYTE || buf[i - 1] === UNCOMMITTED_BYTE) && frameAt(fd, pos, end, buf[i - 1] === UNCOMMITTED_BYTE)) return pos;
    }
    if (at + have >= end) break;
  }
  return -1;
}

/** A whole frame matching its CRC starts at `pos` (read as committed when `uncommitted`). */
function frameAt(fd: number, pos: number, end: number, uncommitted: boolean): boolean {
  const head = Buffer.allocUnsafe(Math.min(MAX_FRAME_HEADER, end - pos));
  fs.readSync(fd, head, 0, head.length, pos);
  if (uncommitted) head[0] = COMMIT_BYTE;
  const eol = head.indexOf('\r\n', 0, 'latin1');
  if (eol < 0) return false;
  const len = Number(head.toString('latin1', 0, eol).split(' ')[3]);
  if (!Number.isSafeInteger(len) || pos + eol + 4 + len > end) return false;
  const frame = Buffer.allocUnsafe(eol + 4 + len);
  fs.readSync(fd, frame, 0, frame.length, pos);
  if (uncommitted) frame[0] = COMMIT_BYTE;
  return parseFrame(frame, 0, frame.length, header) === frame.length && frameCrcMatches(frame, 0, header);
}
