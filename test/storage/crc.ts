// protocol/frame.ts computes short CRCs in JS (for the storage hot paths): it must agree with zlib.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crcOfRange, payloadCrc } from '../../protocol/frame.ts';

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
