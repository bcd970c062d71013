// CRC-32 (the IEEE polynomial, zlib's crc32) of the REC frames: computed for every record written
// and checked for every record read from disk, so its speed is the speed of large records.
// - Short ranges (most records): a slice-by-8 table in JS, no call into native code and no
//   subarray per record; below ~200 bytes that beats any native call's fixed cost.
// - Longer ranges: @node-rs/crc32 (SIMD, carry-less multiply: ~11 GB/s here against zlib.crc32's
//   ~5), or zlib.crc32 where its prebuilt binary is missing for this platform.
import { createRequire } from 'node:module';
import { crc32 as zlibCrc32 } from 'node:zlib';

type Crc32 = (data: Uint8Array, initial?: number) => number;

function loadSimd(): Crc32 | null {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32: Crc32 }).crc32;
  } catch {
    return null;
  }
}

const simd = loadSimd();
/** Which implementation long ranges use (the server's start line says it). */
export const CRC_IMPLEMENTATION = simd ? '@node-rs/crc32 (SIMD)' : 'zlib';
const native: Crc32 = simd ?? zlibCrc32;
/** Ranges up to this long use the JS table (the cut-over measured for each native call). */
const SHORT_CRC = simd ? 192 : 384;

/** CRC-32 of buf[from, to), unsigned; `crc`: the CRC of the bytes before them, to continue it. */
export function crcOfRange(buf: Uint8Array, from: number, to: number, crc = 0): number {
  if (to - from > SHORT_CRC) return native(buf.subarray(from, to), crc) >>> 0;
  let c = ~crc;
  let i = from;
  // The `!`s cost nothing at run time: i + 7 < to <= buf.length, and every table index is a byte
  // plus a multiple of 256 below 2048.
  for (; i + 8 <= to; i += 8) {
    const a = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    c =
      CRC_TABLE[1792 + (a & 255)]! ^
      CRC_TABLE[1536 + ((a >>> 8) & 255)]! ^
      CRC_TABLE[1280 + ((a >>> 16) & 255)]! ^
      CRC_TABLE[1024 + (a >>> 24)]! ^
      CRC_TABLE[768 + buf[i + 4]!]! ^
      CRC_TABLE[512 + buf[i + 5]!]! ^
      CRC_TABLE[256 + buf[i + 6]!]! ^
      CRC_TABLE[buf[i + 7]!]!;
  }
  for (; i < to; i++) c = CRC_TABLE[(c ^ buf[i]!) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Slice-by-8 tables of the reflected CRC-32 polynomial 0xedb88320: 8 tables of 256 entries. */
const CRC_TABLE = (() => {
  const table = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) table[s * 256 + n] = (table[(s - 1) * 256 + n]! >>> 8) ^ table[table[(s - 1) * 256 + n]! & 255]!;
  }
  return table;
})();
