// Sequential check of the REC frames in a chunk file region (used by recovery only, so it reads
// synchronously): shape, terminator, CRC and consecutive ids. A group whose commit byte was never
// written starts with 'X' instead of 'R' and so fails the shape check like any torn record.
import fs from 'node:fs';
import { FRAME_MALFORMED, frameCrcMatches, newFrameHeader, parseFrame } from '../../protocol/frame.ts';

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
