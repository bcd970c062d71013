// The CRC argument (REPLICATE <log> <start> <crc>) is exactly 8 of [0-9a-fA-F]. Every byte value is
// tried in every position: no other byte may pass for a digit (0x10-0x19 once did, by case folding).
import test from 'ava';
import { crcAt } from '../../protocol/tokens.ts';

const HEX = /^[0-9a-fA-F]$/;

test('crcAt accepts exactly [0-9a-fA-F]{8}, in either case, and nothing else', (t) => {
  let accepted = 0;
  for (let pos = 0; pos < 8; pos++) {
    for (let byte = 0; byte < 256; byte++) {
      const token = Buffer.from('0000000a');
      token[pos] = byte;
      const value = crcAt(token, 0, 8);
      const ch = String.fromCharCode(byte);
      if (HEX.test(ch)) {
        t.is(value, parseInt(token.toString('latin1'), 16), `byte 0x${byte.toString(16)} at ${pos}`);
        accepted++;
      } else {
        t.is(value, -1, `byte 0x${byte.toString(16)} at ${pos} is not a hex digit`);
      }
    }
  }
  t.is(accepted, 8 * 22);
  t.is(crcAt(Buffer.from('DEADbeef'), 0, 8), 0xdeadbeef);
  t.is(crcAt(Buffer.from('deadbee'), 0, 7), -1);
  t.is(crcAt(Buffer.from('deadbeef0'), 0, 9), -1);
});
