import test from 'ava';
import { crc32 } from 'node:zlib';
import { writeFrame, frameLength, type FrameHeader } from '../../protocol/frame.ts';
import { ReplyReader } from '../../src/wire/reply-reader.ts';

function frame(id: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(frameLength(id, 1700000000000, payload.length));
  writeFrame(buf, 0, id, 1700000000000, payload, crc32(payload) >>> 0);
  return buf;
}

type Event = string;

function collect(chunks: Buffer[]): Event[] {
  const events: Event[] = [];
  const reader = new ReplyReader({
    line: (text) => events.push(`line:${text}`),
    frame: (buf: Buffer, pos: number, h: FrameHeader) =>
      events.push(`rec:${h.id}:${buf.subarray(pos + h.headerLength, pos + h.headerLength + h.len).toString('latin1')}`),
    malformed: (reason) => events.push(`bad:${reason}`),
  });
  for (const c of chunks) reader.push(c);
  return events;
}

const big = Buffer.alloc(70_000, 'x');
const stream = Buffer.concat([
  Buffer.from('OK 1\r\nHEAD alice 3\r\n'),
  frame(1, Buffer.from('hello')),
  frame(2, Buffer.from('')),
  frame(3, Buffer.from('line\r\nREC 9 9 9 00000000\r\n')),
  Buffer.from('END 4\r\nRECORDS are not frames\r\nLOG alice owner 1 3\r\nEND\r\n'),
]);
const expected = [
  'line:OK 1',
  'line:HEAD alice 3',
  'rec:1:hello',
  'rec:2:',
  'rec:3:line\r\nREC 9 9 9 00000000\r\n',
  'line:END 4',
  'line:RECORDS are not frames',
  'line:LOG alice owner 1 3',
  'line:END',
];

test('one push yields every line and frame in order', (t) => {
  t.deepEqual(collect([stream]), expected);
});

test('the stream split at every byte position parses the same', (t) => {
  for (let i = 0; i <= stream.length; i++) {
    t.deepEqual(collect([stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
  }
});

test('the stream fed one byte at a time parses the same', (t) => {
  const bytes = [...stream].map((b) => Buffer.from([b]));
  t.deepEqual(collect(bytes), expected);
});

test('a large frame over many segments arrives whole', (t) => {
  const f = frame(7, big);
  const parts: Buffer[] = [];
  for (let i = 0; i < f.length; i += 1000) parts.push(f.subarray(i, i + 1000));
  const events = collect([...parts, Buffer.from('END 8\r\n')]);
  t.deepEqual(events, [`rec:7:${big.toString('latin1')}`, 'line:END 8']);
});

test('a broken frame is reported once and ends parsing', (t) => {
  const events = collect([Buffer.from('REC 1 2 3 zzzzzzzz\r\nabc\r\nOK 1\r\n')]);
  t.is(events.length, 1);
  t.regex(events[0] ?? '', /^bad:malformed REC frame/);
});

test('a frame whose terminator is missing is malformed', (t) => {
  const f = frame(1, Buffer.from('abc'));
  f[f.length - 2] = 0x21;
  const events = collect([f, Buffer.from('OK 1\r\n')]);
  t.is(events.length, 1);
  t.regex(events[0] ?? '', /^bad:/);
});

test('a line without CR is accepted too', (t) => {
  t.deepEqual(collect([Buffer.from('PONG\nOK 2\r\n')]), ['line:PONG', 'line:OK 2']);
});
