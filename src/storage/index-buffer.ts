// A dense index in memory: entry i is the byte position of record first-id+i in its chunk,
// stored exactly as the .idx file holds it (u64 little endian, written as two u32), so the
// unwritten part of the index goes to the file as one slice.
const ENTRY = 8;
const TWO_32 = 0x1_0000_0000;

export const INDEX_ENTRY_BYTES = ENTRY;

/** Reads the u64 little-endian entry at byte offset `off` (positions stay below 2^53). */
export function readEntry(buf: Buffer, off: number): number {
  return u32At(buf, off) + u32At(buf, off + 4) * TWO_32;
}

// Byte by byte rather than readUInt32LE/writeUInt32LE: a write per record, and those check their
// arguments on every call.
export function writeEntry(buf: Buffer, off: number, pos: number): void {
  const low = pos >>> 0;
  const high = Math.floor(pos / TWO_32);
  buf[off] = low & 255;
  buf[off + 1] = (low >>> 8) & 255;
  buf[off + 2] = (low >>> 16) & 255;
  buf[off + 3] = low >>> 24;
  buf[off + 4] = high & 255;
  buf[off + 5] = (high >>> 8) & 255;
  buf[off + 6] = (high >>> 16) & 255;
  buf[off + 7] = high >>> 24;
}

function u32At(buf: Buffer, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 0x100_0000;
}

export class IndexBuffer {
  private buf: Buffer;
  length = 0;

  constructor(capacity = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(1, capacity) * ENTRY);
  }

  /** An index holding the first `entries` entries of `bytes` (an .idx file's content). */
  static from(bytes: Buffer, entries: number): IndexBuffer {
    const index = new IndexBuffer(Math.max(64, entries * 2));
    bytes.copy(index.buf, 0, 0, entries * ENTRY);
    index.length = entries;
    return index;
  }

  push(pos: number): void {
    if ((this.length + 1) * ENTRY > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.length * ENTRY);
      this.buf = bigger;
    }
    writeEntry(this.buf, this.length * ENTRY, pos);
    this.length++;
  }

  get(i: number): number {
    return readEntry(this.buf, i * ENTRY);
  }

  truncate(entries: number): void {
    if (entries < this.length) this.length = entries;
  }

  /** The file bytes of entries [from, to). */
  bytes(from: number, to: number): Buffer {
    return this.buf.subarray(from * ENTRY, to * ENTRY);
  }
}
