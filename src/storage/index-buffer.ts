// A dense index in memory: entry i is the byte position of record first-id+i in its chunk,
// stored exactly as the .idx file holds it (u64 little endian, written as two u32), so the
// unwritten part of the index goes to the file as one slice.
const ENTRY = 8;
const TWO_32 = 0x1_0000_0000;

export const INDEX_ENTRY_BYTES = ENTRY;

/** Reads the u64 little-endian entry at byte offset `off` (positions stay below 2^53). */
export function readEntry(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32;
}

export function writeEntry(buf: Buffer, off: number, pos: number): void {
  buf.writeUInt32LE(pos >>> 0, off);
  buf.writeUInt32LE(Math.floor(pos / TWO_32), off + 4);
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
