// protocol/crc.ts computes short CRCs in JS and long ones with @node-rs/crc32 (SIMD): both must
// agree with zlib around every cut-over.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CRC_IMPLEMENTATION, crcOfRange } from '../../protocol/crc.ts';
import { payloadCrc } from '../../protocol/frame.ts';
import { Pieces } from '../../protocol/pieces.ts';

test('crcOfRange and payloadCrc equal zlib.crc32 for every length around the cut-overs', (t) => {
  const buf = randomBytes(3000);
  for (let len = 0; len <= 1100; len++) {
    const from = len % 13;
    const expected = crc32(buf.subarray(from, from + len)) >>> 0;
    if (crcOfRange(buf, from, from + len) !== expected) return t.fail(`length ${len}`);
    if (payloadCrc(buf.subarray(from, from + len)) !== expected) return t.fail(`payload length ${len}`);
  }
  t.is(payloadCrc(Buffer.from('hello')), 0x3610a686);
  t.is(payloadCrc(Buffer.alloc(0)), 0);
});

test('long ranges use the SIMD CRC on this platform (its binary installs with npm ci)', (t) => {
  t.is(CRC_IMPLEMENTATION, '@node-rs/crc32 (SIMD)');
  const big = randomBytes(1 << 20);
  for (const [from, to] of [
    [0, big.length],
    [3, 65_539],
    [1000, 1193],
  ] as const)
    t.is(crcOfRange(big, from, to), crc32(big.subarray(from, to)) >>> 0);
});

test('a CRC continues across pieces (JS and SIMD paths alike), as payloadCrc of Pieces does', (t) => {
  const buf = randomBytes(5000);
  for (const cut of [0, 1, 7, 100, 191, 192, 193, 400, 2500, 4999, 5000]) {
    t.is(crcOfRange(buf, cut, buf.length, crcOfRange(buf, 0, cut)), crc32(buf) >>> 0, `cut at ${cut}`);
  }
  const pieces = new Pieces([buf.subarray(0, 10), buf.subarray(10, 3000), buf.subarray(3000)], buf.length);
  t.is(payloadCrc(pieces), crc32(buf) >>> 0);
});
