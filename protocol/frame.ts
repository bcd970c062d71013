// The REC frame: how a record travels on the wire and how it is stored in a chunk, byte for byte.
//   REC <id> <timestamp-ms> <len> <crc, 8 lowercase hex> CRLF <len payload bytes> CRLF
// Encoding and decoding work on buffers at an offset, without allocating per record.
import { crcOfRange } from './crc.ts';
import { Pieces } from './pieces.ts';

/** The longest header: "REC " + 3 numbers of at most 16 digits + spaces + 8 hex digits + CRLF. */
export const MAX_FRAME_HEADER = 4 + 16 + 1 + 16 + 1 + 16 + 1 + 8 + 2;

const CR = 13;
const LF = 10;
const SPACE = 32;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Scratch space for parseFrame's three numbers: no allocation per frame. */
const fields = new Float64Array(3);

/** Decimal digits of a non-negative safe integer. */
export function decimalLength(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

/** The decimal digits of every integer in [first, first + count), added up (first >= 0). */
export function decimalLengthOfRange(first: number, count: number): number {
  const end = first + count;
  let total = 0;
  let digits = decimalLength(first);
  let bound = 10 ** digits; // the first integer with one digit more
  for (let n = first; n < end; n = bound, bound *= 10, digits++) total += (Math.min(end, bound) - n) * digits;
  return total;
}

/** Writes `n` in decimal at `pos`; returns the position after it. */
export function writeDecimal(buf: Buffer, pos: number, n: number): number {
  const end = pos + decimalLength(n);
  let p = end;
  do {
    const q = Math.floor(n / 10);
    buf[--p] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

/** Total frame size for a payload of `len` bytes. */
export function frameLength(id: number, ts: number, len: number): number {
  return 4 + decimalLength(id) + 1 + decimalLength(ts) + 1 + decimalLength(len) + 1 + 8 + 2 + len + 2;
}

/** Writes the header `REC id ts len crc\r\n` at `pos`; returns the position of the payload. */
export function writeFrameHeader(buf: Buffer, pos: number, id: number, ts: number, len: number, crc: number): number {
  buf[pos++] = 82; // R
  buf[pos++] = 69; // E
  buf[pos++] = 67; // C
  buf[pos++] = SPACE;
  pos = writeDecimal(buf, pos, id);
  buf[pos++] = SPACE;
  pos = writeTimestamp(buf, pos, ts);
  buf[pos++] = SPACE;
  pos = writeDecimal(buf, pos, len);
  buf[pos++] = SPACE;
  for (let shift = 28; shift >= 0; shift -= 4) buf[pos++] = HEX[(crc >>> shift) & 15]!;
  buf[pos++] = CR;
  buf[pos++] = LF;
  return pos;
}

/** The digits of the timestamp written last: a round stamps all its records with one timestamp. */
const lastTsDigits = Buffer.alloc(16);
let lastTsLength = 0;
let lastTs = -1;

/** writeDecimal of a timestamp, copying the digits when it is the previous one's. */
function writeTimestamp(buf: Buffer, pos: number, ts: number): number {
  if (ts !== lastTs) {
    lastTsLength = writeDecimal(lastTsDigits, 0, ts);
    lastTs = ts;
  }
  for (let i = 0; i < lastTsLength; i++) buf[pos + i] = lastTsDigits[i]!;
  return pos + lastTsLength;
}

/** Writes a whole frame (header, payload, CRLF) at `pos`; returns the position after it. */
export function writeFrame(buf: Buffer, pos: number, id: number, ts: number, payload: Uint8Array | Pieces, crc: number): number {
  pos = writeFrameHeader(buf, pos, id, ts, payload.length, crc);
  if (payload instanceof Pieces) {
    for (const piece of payload.list) {
      buf.set(piece, pos);
      pos += piece.length;
    }
  } else {
    buf.set(payload, pos);
    pos += payload.length;
  }
  buf[pos++] = CR;
  buf[pos++] = LF;
  return pos;
}

/** A decoded header; reuse one object across calls to avoid allocation. */
export interface FrameHeader {
  id: number;
  ts: number;
  len: number;
  crc: number;
  /** Offset of the payload from the start of the frame. */
  headerLength: number;
}

export function newFrameHeader(): FrameHeader {
  return { id: 0, ts: 0, len: 0, crc: 0, headerLength: 0 };
}

/** parseFrame result: the frame is not complete yet in [pos, end). */
export const FRAME_INCOMPLETE = 0;
/** parseFrame result: the bytes at pos are not a well-formed frame. */
export const FRAME_MALFORMED = -1;

/**
 * Decodes the frame starting at `pos` (bytes up to `end` are available) into `out`.
 * Returns the whole frame's length, FRAME_INCOMPLETE if more bytes are needed, or
 * FRAME_MALFORMED. Checks the shape and the trailing CRLF, not the CRC (see frameCrcMatches).
 */
export function parseFrame(buf: Uint8Array, pos: number, end: number, out: FrameHeader): number {
  const start = pos;
  const headerEnd = Math.min(end, pos + MAX_FRAME_HEADER);
  if (headerEnd - pos < 4) return prefixOk(buf, pos, headerEnd) ? FRAME_INCOMPLETE : FRAME_MALFORMED;
  if (buf[pos] !== 82 || buf[pos + 1] !== 69 || buf[pos + 2] !== 67 || buf[pos + 3] !== SPACE) return FRAME_MALFORMED;
  pos += 4;
  for (let f = 0; f < 3; f++) {
    let n = 0;
    let digits = 0;
    while (pos < headerEnd && buf[pos]! >= 48 && buf[pos]! <= 57) {
      n = n * 10 + (buf[pos]! - 48);
      pos++;
      digits++;
    }
    if (pos === headerEnd) return headerEnd === end ? FRAME_INCOMPLETE : FRAME_MALFORMED;
    if (digits === 0 || digits > 16 || buf[pos] !== SPACE || !Number.isSafeInteger(n)) return FRAME_MALFORMED;
    fields[f] = n;
    pos++;
  }
  let crc = 0;
  for (let i = 0; i < 8; i++, pos++) {
    if (pos === headerEnd) return headerEnd === end ? FRAME_INCOMPLETE : FRAME_MALFORMED;
    const c = buf[pos]!;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (v < 0) return FRAME_MALFORMED;
    crc = crc * 16 + v;
  }
  if (pos + 2 > end) return headerEnd === end ? FRAME_INCOMPLETE : FRAME_MALFORMED;
  if (buf[pos] !== CR || buf[pos + 1] !== LF) return FRAME_MALFORMED;
  pos += 2;
  const id = fields[0]!;
  const ts = fields[1]!;
  const len = fields[2]!;
  const total = pos - start + len + 2;
  if (start + total > end) return FRAME_INCOMPLETE;
  if (buf[start + total - 2] !== CR || buf[start + total - 1] !== LF) return FRAME_MALFORMED;
  out.id = id;
  out.ts = ts;
  out.len = len;
  out.crc = crc;
  out.headerLength = pos - start;
  return total;
}

/** The timestamp of the frame header at the start of buf (the rest may be missing), or -1 if malformed. */
export function frameHeaderTimestamp(buf: Uint8Array): number {
  if (buf[0] !== 82 || buf[1] !== 69 || buf[2] !== 67 || buf[3] !== SPACE) return -1;
  let pos = 4;
  while (pos < buf.length && buf[pos]! >= 48 && buf[pos]! <= 57) pos++;
  if (pos === 4 || buf[pos] !== SPACE) return -1;
  const start = ++pos;
  let ts = 0;
  while (pos < buf.length && buf[pos]! >= 48 && buf[pos]! <= 57) ts = ts * 10 + (buf[pos++]! - 48);
  return pos > start && pos - start <= 16 && buf[pos] === SPACE ? ts : -1;
}

function prefixOk(buf: Uint8Array, pos: number, end: number): boolean {
  const rec = [82, 69, 67, SPACE];
  for (let i = 0; pos + i < end; i++) if (buf[pos + i] !== rec[i]) return false;
  return true;
}

/** CRC-32 (zlib's) of a payload, as an unsigned number. */
export function payloadCrc(payload: Uint8Array | Pieces): number {
  if (!(payload instanceof Pieces)) return crcOfRange(payload, 0, payload.length);
  let crc = 0;
  for (const piece of payload.list) crc = crcOfRange(piece, 0, piece.length, crc);
  return crc;
}

/** True when the payload of the frame parsed into `h` at `pos` matches its CRC. */
export function frameCrcMatches(buf: Uint8Array, pos: number, h: FrameHeader): boolean {
  const from = pos + h.headerLength;
  return crcOfRange(buf, from, from + h.len) === h.crc;
}

/** The CRC as the frame writes it: 8 lowercase hex digits. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}

/** What identifies a stored record besides its id: its header's timestamp, length and CRC. */
export interface RecordStamp {
  ts: number;
  len: number;
  crc: number;
}

/** `<ts> <len> <crc>`, as REPLICATE's resume argument spells it. */
export function stampText(stamp: RecordStamp): string {
  return `${stamp.ts} ${stamp.len} ${crcHex(stamp.crc)}`;
}
