// Client requests as bytes: the MSG and APPEND commands (plain or conditional), each one buffer so
// that a call is one socket write, with the checks that keep a text from breaking the framing.
import type { LogdError } from '../../protocol/errors.ts';
import { clientError } from './reply-error.ts';
import type { AppendOptions } from './types.ts';

export type Payload = Buffer | Uint8Array | string;

/** `MSG <target> <text>` LF; a text that is empty or holds a line break is refused here. */
export function encodeMsg(to: string, text: Payload): string | Buffer {
  if (typeof text === 'string') {
    if (text.length === 0 || text.includes('\n') || text.endsWith('\r')) throw badMsg(text);
    return `MSG ${to} ${text}\n`;
  }
  if (text.length === 0 || text.includes(10) || text[text.length - 1] === 13) throw badMsg(text);
  return Buffer.concat([Buffer.from(`MSG ${to} `), text, NEWLINE]);
}

const NEWLINE = Buffer.from('\n');

/** The whole APPEND command, header and bodies, in one buffer: one write however many records. */
export function encodeAppend(log: string, payloads: readonly Payload[]): Buffer {
  const bodies = payloads.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
  let header = `APPEND ${log}`;
  let size = 0;
  for (const body of bodies) {
    header += ` ${body.length}`;
    size += body.length + 1;
  }
  header += '\n';
  const headerBytes = Buffer.byteLength(header);
  const buf = Buffer.allocUnsafe(headerBytes + size);
  let pos = buf.write(header, 0);
  for (const body of bodies) {
    buf.set(body, pos);
    pos += body.length;
    buf[pos++] = 10;
  }
  return buf;
}

/** `<log>` or, for a conditional append, `<log>@<next-id>`. */
export function target(log: string, opts: AppendOptions): string {
  if (opts.expect === undefined) return log;
  if (!Number.isSafeInteger(opts.expect) || opts.expect < 1) throw clientError('syntax', `expect must be an id >= 1, got ${opts.expect}`);
  return `${log}@${opts.expect}`;
}

function badMsg(text: Payload): LogdError {
  return clientError('syntax', text.length === 0 ? 'empty message' : 'a MSG text cannot hold a line break; use append()');
}
