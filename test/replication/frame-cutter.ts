import test from 'ava';
import { frameLength, payloadCrc, writeFrame } from '../../protocol/frame.ts';
import { FrameCutter } from '../../src/replication/frame-cutter.ts';

function frames(firstId: number, payloads: Buffer[]): Buffer {
  const buf = Buffer.alloc(payloads.reduce((n, p, i) => n + frameLength(firstId + i, 1700000000000, p.length), 0));
  let pos = 0;
  for (const [i, p] of payloads.entries()) pos = writeFrame(buf, pos, firstId + i, 1700000000000, p, payloadCrc(p));
  return buf;
}

interface Seen {
  frames: Buffer[];
  ids: [number, number, number][];
  events: string[];
  malformed: string[];
}

function collector(maxPayload = Infinity): { cutter: FrameCutter; seen: Seen } {
  const seen: Seen = { frames: [], ids: [], events: [], malformed: [] };
  const cutter = new FrameCutter(
    {
      frames(run, count, first, last) {
        seen.frames.push(Buffer.from(run));
        seen.ids.push([count, first, last]);
        seen.events.push(`frames ${first}-${last}`);
      },
      line(text) {
        seen.events.push(text);
      },
      malformed(reason) {
        seen.malformed.push(reason);
      },
    },
    maxPayload,
  );
  return { cutter, seen };
}

/** Collapses adjacent frame runs, which depend on where the chunks were cut. */
function merged(events: string[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (prev?.startsWith('frames ') && e.startsWith('frames ')) out[out.length - 1] = prev.replace(/-\d+$/, '') + '-' + e.split('-')[1];
    else out.push(e);
  }
  return out;
}

const payloads = ['a', 'hello world', '', 'x'.repeat(300), 'line\r\nwith\nbreaks'].map((s) => Buffer.from(s));
const stream = Buffer.concat([
  Buffer.from('HB 7\r\n'),
  frames(3, payloads.slice(0, 2)),
  Buffer.from('HB 9\r\n'),
  frames(5, payloads.slice(2)),
  Buffer.from('END 8\r\n'),
]);
const expectedEvents = ['HB 7', 'frames 3-4', 'HB 9', 'frames 5-7', 'END 8'];

test('one push: runs of whole frames between control lines, bytes unchanged', (t) => {
  const { cutter, seen } = collector();
  cutter.push(stream);
  t.deepEqual(seen.events, expectedEvents);
  t.deepEqual(Buffer.concat(seen.frames), Buffer.concat([frames(3, payloads.slice(0, 2)), frames(5, payloads.slice(2))]));
  t.deepEqual(seen.ids, [
    [2, 3, 4],
    [3, 5, 7],
  ]);
  t.is(cutter.buffered, 0);
});

test('the stream split at every byte (and in three) gives the same frames and lines', (t) => {
  const allFrames = Buffer.concat([frames(3, payloads.slice(0, 2)), frames(5, payloads.slice(2))]);
  const expected = JSON.stringify(expectedEvents);
  const wrong: string[] = [];
  let splits = 0;
  for (let i = 0; i <= stream.length; i++) {
    for (const j of [i, Math.min(stream.length, i + 1), Math.min(stream.length, i + 37)]) {
      const { cutter, seen } = collector();
      cutter.push(stream.subarray(0, i));
      cutter.push(stream.subarray(i, j));
      cutter.push(stream.subarray(j));
      splits++;
      if (JSON.stringify(merged(seen.events)) !== expected || !Buffer.concat(seen.frames).equals(allFrames) || seen.malformed.length) wrong.push(`${i},${j}`);
    }
  }
  t.deepEqual(wrong, []);
  t.is(splits, 3 * (stream.length + 1));
});

test('a large frame arriving in many small chunks is parsed once it is whole', (t) => {
  const big = frames(1, [Buffer.alloc(1 << 20, 7)]);
  const { cutter, seen } = collector();
  for (let pos = 0; pos < big.length; pos += 1000) {
    cutter.push(big.subarray(pos, pos + 1000));
    if (pos + 1000 < big.length) t.is(seen.frames.length, 0);
  }
  t.is(seen.frames.length, 1);
  t.deepEqual(seen.frames[0], big);
  t.is(cutter.buffered, 0);
});

test('malformed input is reported once and the rest ignored', (t) => {
  const bad = collector();
  bad.cutter.push(Buffer.concat([frames(1, payloads.slice(0, 1)), Buffer.from('REC 2 x 1 00000000\r\na\r\n')]));
  t.deepEqual(bad.seen.events, ['frames 1-1']);
  t.deepEqual(bad.seen.malformed, ['malformed REC frame: "REC 2 x 1 00000000\\r\\na\\r\\n", after id 1']);
  bad.cutter.push(frames(2, payloads.slice(0, 1)));
  t.is(bad.seen.events.length, 1);

  const long = collector();
  long.cutter.push(Buffer.alloc(5000, 'A'));
  t.deepEqual(long.seen.malformed, ['control line over 1024 bytes']);

  const wrongTerminator = collector();
  const f = frames(1, [Buffer.from('abc')]);
  f[f.length - 2] = 0x58;
  wrongTerminator.cutter.push(f);
  t.deepEqual(wrongTerminator.seen.malformed, [`malformed REC frame: ${JSON.stringify(f.toString('latin1'))}, after id start`]);
});

test('a frame declaring a payload over the limit breaks the stream as soon as its header is in, holding none of it', (t) => {
  // The header alone, then bytes that would make up the declared payload: nothing is held for it.
  const huge = collector(1024);
  huge.cutter.push(frames(1, [Buffer.from('ok')]));
  huge.cutter.push(Buffer.from('REC 2 1700000000000 9007199254740991 00000000\r'));
  t.deepEqual(huge.seen.malformed, []);
  huge.cutter.push(Buffer.from('\n' + 'x'.repeat(4096)));
  t.deepEqual(huge.seen.malformed, ['REC frame of 9007199254740991 bytes is over the limit of 1024, after id 1']);
  t.is(huge.cutter.buffered, 0);
  huge.cutter.push(Buffer.alloc(1 << 20));
  t.is(huge.cutter.buffered, 0);
  t.deepEqual(huge.seen.events, ['frames 1-1']);

  // A whole frame over the limit in one chunk is refused too; one at the limit passes.
  const whole = collector(1024);
  whole.cutter.push(Buffer.concat([frames(1, [Buffer.alloc(1024, 'a')]), frames(2, [Buffer.alloc(1025, 'b')])]));
  t.deepEqual(whole.seen.events, ['frames 1-1']);
  t.deepEqual(whole.seen.malformed, ['REC frame of 1025 bytes is over the limit of 1024, after id 1']);
});
