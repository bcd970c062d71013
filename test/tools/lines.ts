// Splitting bytes into records: logtail's line splitter and logtool's input shapes.
import test from 'ava';
import { Readable } from 'node:stream';
import { LineSplitter } from '../../tools/logtail/lines.ts';
import { lengthPrefixed, lines, whole } from '../../tools/logtool/records-in.ts';

function split(chunks: string[], maxLine = 100): [string, number][] {
  const s = new LineSplitter(maxLine);
  const out: [string, number][] = [];
  let pos = 0;
  for (const c of chunks) {
    s.push(Buffer.from(c, 'latin1'), pos, (line, end) => out.push([line.toString('latin1'), end]));
    pos += c.length;
  }
  return out;
}

test('lines with the offset after each; a partial line waits', (t) => {
  t.deepEqual(split(['ab\nc', 'd\n\ne']), [
    ['ab', 3],
    ['cd', 6],
    ['', 7],
  ]);
});

test('every split of the input gives the same lines', (t) => {
  const input = 'one\ntwo\r\n\nthree\xff\nfour';
  const expected = split([input]);
  for (let i = 0; i <= input.length; i++) t.deepEqual(split([input.slice(0, i), input.slice(i)]), expected);
});

test('a line longer than maxLine is cut into pieces', (t) => {
  t.deepEqual(split(['abcdefgh', 'ij\n'], 4), [
    ['abcd', 4],
    ['efgh', 8],
    ['ij', 11],
  ]);
});

test('flush hands over the unfinished line; reset forgets it', (t) => {
  const s = new LineSplitter(100);
  const out: string[] = [];
  s.push(Buffer.from('x\npart'), 0, (l) => out.push(l.toString()));
  s.flush(6, (l, end) => out.push(`${l}@${end}`));
  s.push(Buffer.from('gone'), 6, () => t.fail());
  s.reset();
  s.flush(10, () => t.fail());
  t.deepEqual(out, ['x', 'part@6']);
});

async function all(gen: AsyncIterable<Buffer[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of gen) for (const r of batch) out.push(r.toString('latin1'));
  return out;
}

const chunks = (...parts: (string | Buffer)[]) => Readable.from(parts.map((p) => Buffer.from(p as string)));

test('logtool input: lines (across chunks, last without LF), length-prefixed, whole', async (t) => {
  t.deepEqual(await all(lines(chunks('a\nb', 'c\n', '\nd'))), ['a', 'bc', '', 'd']);
  const lp = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('x\ny'), Buffer.from([0, 0, 0, 0])]);
  t.deepEqual(await all(lengthPrefixed(chunks(lp.subarray(0, 2), lp.subarray(2, 5), lp.subarray(5)))), ['x\ny', '']);
  await t.throwsAsync(all(lengthPrefixed(chunks(Buffer.from([0, 0, 0, 9, 65])))), { message: /ends inside/ });
  t.deepEqual(await all(whole(chunks('a\n', 'b'))), ['a\nb']);
});

test('logtool input: a line is bytes, kept exactly (not UTF-8 decoded, hence no split2), at every split', async (t) => {
  const input = Buffer.concat([Buffer.from('one\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x0a]), Buffer.from('\nlast')]);
  const expected = [Buffer.from('one'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.alloc(0), Buffer.from('last')];
  for (let cut = 0; cut <= input.length; cut++) {
    const got: Buffer[] = [];
    for await (const batch of lines(chunks(input.subarray(0, cut), input.subarray(cut)))) got.push(...batch.map((r) => Buffer.from(r)));
    t.deepEqual(got, expected, `cut at ${cut}`);
  }
});
