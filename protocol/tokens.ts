// Byte-level reading of control lines: space-separated tokens, decimal numbers, names, and
// printable snippets for error texts. Works on buffer ranges so that the hot path decodes only
// the few bytes it keeps (a log name), never the whole line.
import { isValidName } from './names.ts';

export const SPACE = 32;
export const CR = 13;
export const LF = 10;

/** At most 16 decimal digits, and at most Number.MAX_SAFE_INTEGER. */
const MAX_DIGITS = 16;
const SNIPPET_CHARS = 32;

/** The token positions of one line; reused from line to line (no allocation per command). */
export class Tokens {
  readonly start: number[] = [];
  readonly end: number[] = [];
  count = 0;

  /** Splits buf[pos, end) at runs of spaces. */
  scan(buf: Uint8Array, pos: number, end: number): void {
    let n = 0;
    for (;;) {
      while (pos < end && buf[pos] === SPACE) pos++;
      if (pos >= end) break;
      this.start[n] = pos;
      while (pos < end && buf[pos] !== SPACE) pos++;
      this.end[n] = pos;
      n++;
    }
    this.count = n;
  }
}

/** The decimal number in buf[s, e), or -1 when it is not one (sign, other bytes, too long). */
export function decimalAt(buf: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > MAX_DIGITS) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

/** The 8-hex-digit CRC in buf[s, e) (either case), or -1. */
export function crcAt(buf: Uint8Array, s: number, e: number): number {
  if (e - s !== 8) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) return -1;
    n = n * 16 + v;
  }
  return n;
}

/** The bytes of the last valid name nameAt returned, and that name. */
const lastNameBytes = Buffer.alloc(64);
let lastNameLength = 0;
let lastName = '';

/**
 * The log or consumer name in buf[s, e), or null when it is not a valid name. A pipeline names
 * the same log line after line: the last valid name is remembered, so a repeat costs a compare
 * instead of a string and a pattern match.
 */
export function nameAt(buf: Buffer, s: number, e: number): string | null {
  const length = e - s;
  if (length > 64) return null;
  if (length === lastNameLength && length > 0) {
    let i = 0;
    while (i < length && buf[s + i] === lastNameBytes[i]) i++;
    if (i === length) return lastName;
  }
  const name = buf.toString('latin1', s, e);
  if (!isValidName(name)) return null;
  buf.copy(lastNameBytes, 0, s, e);
  lastNameLength = length;
  lastName = name;
  return name;
}

/** True when buf[s, e) is `word` in any case; `word` is given in lower-case letters. */
export function wordAt(buf: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if ((buf[s + i]! | 0x20) !== word[i]) return false;
  return true;
}

/** buf[s, e) for an error text: printable ASCII kept, other bytes as '?', capped with '...'. */
export function snippet(buf: Uint8Array, s: number, e: number): string {
  const stop = Math.min(e, s + SNIPPET_CHARS);
  let out = '';
  for (let i = s; i < stop; i++) out += buf[i]! >= 32 && buf[i]! < 127 ? String.fromCharCode(buf[i]!) : '?';
  return e > stop ? `${out}...` : out;
}
