// Test helper: what a node holds of a log, read with one READ from its first retained id, as the
// raw frames (to compare or hash) and as records (views into them, nothing copied).
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { FRAME_INCOMPLETE, FRAME_MALFORMED, newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { talk } from '../replication/_cluster.ts';
import type { Rec } from '../_wire.ts';

export interface LogCopy {
  first: number;
  head: number;
  /** The REC frames from `first` to `head`, exactly as sent. */
  frames: Buffer;
}

export async function readLog(port: number, log: string): Promise<LogCopy> {
  const logs = (await talk(port, 'LOGS\n')).toString('latin1');
  const line = logs.split('\r\n').find((l) => l.startsWith(`LOG ${log} `));
  const [, , , first = 1, head = 0] = line ? line.split(' ').map(Number) : [];
  const end = Buffer.from(`END ${head + 1}\r\n`);
  // Not talk(): its CLOSE would end the READ early. The stream is over once it ends with END.
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let tail = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(`READ ${log} ${first} ${head - first + 1} NOWAIT\n`));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      tail = Buffer.concat([tail, d]).subarray(-end.length);
      if (tail.equals(end)) {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`READ ${log} ${first}: no END ${head + 1} before the connection closed`)));
  });
  return { first, head, frames: reply.subarray(0, reply.length - end.length) };
}

/** The records of `frames[from..]`, the first with id `firstId`; throws on a malformed frame. */
export function recordsOf(frames: Buffer, from = 0): Rec[] {
  const records: Rec[] = [];
  const h = newFrameHeader();
  for (let pos = from; pos < frames.length; ) {
    const n = parseFrame(frames, pos, frames.length, h);
    if (n === FRAME_MALFORMED || n === FRAME_INCOMPLETE) throw new Error(`bad frame at byte ${pos}`);
    records.push({ id: h.id, ts: h.ts, crc: h.crc, payload: frames.subarray(pos + h.headerLength, pos + h.headerLength + h.len) });
    pos += n;
  }
  return records;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
