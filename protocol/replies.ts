// Reply lines as the server sends them. Every server line ends with CRLF.
import { type ErrorCode, LogdError } from './errors.ts';
import { decimalLengthOfRange, writeDecimal } from './frame.ts';

export const CRLF = '\r\n';
export const PONG = 'PONG\r\n';
export const OK = 'OK\r\n';
export const END = 'END\r\n';

export function okId(id: number): string {
  return 'OK ' + id + CRLF;
}

/** `OK <id>` for each of `count` ids from `first`, as one buffer (the replies to a run of MSGs). */
export function okIds(first: number, count: number): Buffer {
  const buf = Buffer.allocUnsafe(count * 5 + decimalLengthOfRange(first, count));
  let pos = 0;
  for (let id = first; id < first + count; id++) {
    buf[pos++] = 79; // O
    buf[pos++] = 75; // K
    buf[pos++] = 32;
    pos = writeDecimal(buf, pos, id);
    buf[pos++] = 13;
    buf[pos++] = 10;
  }
  return buf;
}

export function okRange(first: number, last: number): string {
  return 'OK ' + first + ' ' + last + CRLF;
}

/** HELLO's reply: this node's id. */
export function helloLine(node: string): string {
  return 'HELLO ' + node + CRLF;
}

export function endAt(next: number): string {
  return 'END ' + next + CRLF;
}

export function headPush(log: string, id: number): string {
  return 'HEAD ' + log + ' ' + id + CRLF;
}

export function statLine(name: string, value: number | string): string {
  return 'STAT ' + name + ' ' + value + CRLF;
}

/** `LOG <name> <role> <first-id> <head> [key=value ...]` */
export function logLine(name: string, role: string, first: number, head: number, extra: Record<string, string | number> = {}): string {
  let line = 'LOG ' + name + ' ' + role + ' ' + first + ' ' + head;
  for (const key in extra) line += ' ' + key + '=' + extra[key];
  return line + CRLF;
}

/** `CONSUMER <name> <log> <checkpoint> <lag>` */
export function consumerLine(name: string, log: string, checkpoint: number, lag: number): string {
  return 'CONSUMER ' + name + ' ' + log + ' ' + checkpoint + ' ' + lag + CRLF;
}

/** The fields of a `LOG` line as sent (first and head unparsed), its extras as key -> value. */
export function parseLogLine(line: string): { name: string; role: string; first: string; head: string; extras: Record<string, string> } {
  const [, name, role, first, head, ...rest] = line.split(' ');
  if (head === undefined) throw new LogdError('internal', `unexpected reply from server: ${line.slice(0, 80)}`);
  const extras: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    if (eq > 0) extras[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { name: name!, role: role!, first: first!, head, extras };
}

/** `ERR <code> <text>`: the text is made one printable line, at most 200 characters. */
export function errLine(code: ErrorCode, text: string): string {
  return 'ERR ' + code + ' ' + printable(text, 200) + CRLF;
}

/** Client bytes made safe to echo in an error: printable ASCII only, capped. */
export function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '...' : clean;
}
