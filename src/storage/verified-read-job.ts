// One verified read, as the read thread (read-thread.ts) runs it: the bytes of a chunk range read
// from its file, every whole record in them checked (shape, consecutive ids, CRC). Plain data in,
// plain data out, so that it runs the same on either thread.
import fs from 'node:fs';
import { FRAME_INCOMPLETE, frameCrcMatches, newFrameHeader, parseFrame } from '../../protocol/frame.ts';

export interface ReadJob {
  fd: number;
  /** The chunk byte range [from, to). */
  from: number;
  to: number;
  /** The id the first record must have, and the records wanted. */
  firstId: number;
  want: number;
  /** The range may end inside a record (a byte budget): the records before it are the answer. */
  cut: boolean;
}

/** The records found good: `end` bytes of `buffer` holding `count` records. */
export interface ReadAnswer {
  buffer: ArrayBuffer;
  end: number;
  count: number;
}

const header = newFrameHeader();

/** checkFrames' answer (one object, reused): the good records before the first bad one, if any. */
export const checked = { end: 0, count: 0, bad: false };

/**
 * Walks the frames of buf[0, length), which should hold `want` records from `firstId` (fewer when
 * `cut` lets the range end inside a record): stops at the first frame that is malformed, out of
 * sequence or fails its CRC (bad), at the cut, or after `want` records.
 */
export function checkFrames(buf: Buffer, length: number, firstId: number, want: number, cut: boolean): typeof checked {
  let pos = 0;
  let count = 0;
  let bad = false;
  while (count < want) {
    const len = parseFrame(buf, pos, length, header);
    if (len === FRAME_INCOMPLETE && cut) break; // the byte budget ends inside this record
    if (len <= 0 || header.id !== firstId + count || !frameCrcMatches(buf, pos, header)) {
      bad = true;
      break;
    }
    pos += len;
    count++;
  }
  checked.end = pos;
  checked.count = count;
  checked.bad = bad;
  return checked;
}

/** The verified records of the job, or null when anything is off (short file, bad frame): the caller reads again and reports. */
export function runReadJob(job: ReadJob): ReadAnswer | null {
  const length = job.to - job.from;
  const buf = Buffer.allocUnsafeSlow(length); // its own ArrayBuffer: transferred, never copied
  let got = 0;
  while (got < length) {
    const n = fs.readSync(job.fd, buf, got, length - got, job.from + got);
    if (n === 0) return null;
    got += n;
  }
  const { end, count, bad } = checkFrames(buf, length, job.firstId, job.want, job.cut);
  return bad || count === 0 ? null : { buffer: buf.buffer, end, count };
}
