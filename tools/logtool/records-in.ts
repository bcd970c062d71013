// Records read from a byte stream (stdin, a file), in the shapes `write` and `import` accept.
// Each generator yields the records completed by one input chunk, as views into it (no copy
// unless a record spans chunks).
import { LineSplitter } from '../lines.ts';
import { UsageError } from './cli.ts';

/** One record per line; the LF is not part of it. A last line without LF is a record too. */
export async function* lines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  const splitter = new LineSplitter(Number.POSITIVE_INFINITY);
  let records: Buffer[] = [];
  const onLine = (line: Buffer): void => {
    records.push(line);
  };
  for await (const chunk of input) {
    splitter.push(chunk, 0, onLine);
    if (records.length > 0) yield records;
    records = [];
  }
  splitter.flush(0, onLine);
  if (records.length > 0) yield records;
}

/** Each record is a 4-byte big-endian length, then that many bytes. */
export async function* lengthPrefixed(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const records: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 4 && buf.length - pos - 4 >= buf.readUInt32BE(pos)) {
      const len = buf.readUInt32BE(pos);
      records.push(buf.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    buf = buf.subarray(pos);
    if (records.length > 0) yield records;
  }
  if (buf.length > 0) throw new UsageError(`input ends inside a length-prefixed record (${buf.length} bytes left)`);
}

/** The whole input as one record. */
export async function* whole(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const chunk of input) parts.push(chunk);
  yield [Buffer.concat(parts)];
}
