// Writing records to stdout (or a file): the formats, and a buffered writer that respects the
// stream's backpressure and still flushes promptly when records trickle in (follow).
import { isUtf8 } from 'node:buffer';
import { crcHex, frameLength, writeFrame } from '../../protocol/frame.ts';
import type { LogRecord } from '../../src/client/index.ts';
import { UsageError } from './cli.ts';

export type Format = 'text' | 'json' | 'raw';

export const FORMAT_HELP = `Formats: text (each payload, then a newline), json (one object per line: id, timestamp, crc,
         and payload as a string, or payload_base64 when it is not UTF-8), raw (the REC frames
         exactly as the server sends and stores them).`;

export function format(value: string | boolean | undefined): Format {
  const f = value ?? 'text';
  if (f === 'text' || f === 'json' || f === 'raw') return f;
  throw new UsageError(`--format must be text, json or raw, not ${JSON.stringify(f)}`);
}

const NL = Buffer.from('\n');

/** The bytes that stand for one record in a format. */
export function encodeRecord(fmt: Format, r: LogRecord): Buffer[] {
  if (fmt === 'text') return [r.payload, NL];
  if (fmt === 'raw') {
    const buf = Buffer.allocUnsafe(frameLength(r.id, r.timestamp, r.payload.length));
    writeFrame(buf, 0, r.id, r.timestamp, r.payload, r.crc);
    return [buf];
  }
  const body = isUtf8(r.payload) ? { payload: r.payload.toString('utf8') } : { payload_base64: r.payload.toString('base64') };
  return [Buffer.from(`${JSON.stringify({ id: r.id, timestamp: r.timestamp, crc: crcHex(r.crc), ...body })}\n`)];
}

const FLUSH_BYTES = 64 * 1024;

/** Records to stdout (or a stream) in few large writes, with backpressure. */
export class BatchedWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  private failure: Error | null = null;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (err: Error) => (this.failure ??= err));
  }

  /** Queues bytes; waits only when the stream is full. */
  async write(parts: Buffer[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const p of parts) {
      this.parts.push(p);
      this.bytes += p.length;
    }
    if (this.bytes >= FLUSH_BYTES) return this.flush();
    if (!this.scheduled) {
      // Records that arrive together are written together; a lone one leaves at the next turn.
      this.scheduled = true;
      setImmediate(() => void this.flush().catch(() => undefined));
    }
  }

  async flush(): Promise<void> {
    this.scheduled = false;
    if (this.bytes === 0) return;
    const data = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    if (!this.stream.write(data)) await new Promise((resolve) => this.stream.once('drain', resolve));
    if (this.failure) throw this.failure;
  }

  /** Flushes and waits until everything has been handed to the OS. */
  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}
