import test from 'ava';
import { PassThrough } from 'node:stream';
import { duration, Progress } from '../../tools/progress.ts';

function fakeStream(tty: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

test('not a terminal: a plain line per interval with rate and ETA, then a summary', (t) => {
  const { stream, text } = fakeStream(false);
  let now = 0;
  const p = new Progress({ label: 'import', total: 1000, stream, intervalMs: 5000, now: () => now });
  now = 1000;
  p.add(100); // before the first interval: silent
  t.is(text(), '');
  now = 5000;
  p.add(400);
  now = 10_000;
  p.add(500);
  p.finish();
  t.is(
    text(),
    'import: 50.0% 500/1,000 records, 100 records/s, ETA 0:05\n' +
      'import: 100.0% 1,000/1,000 records, 100 records/s, ETA 0:00\n' +
      'import: 1,000 records in 0:10 (100 records/s)\n',
  );
});

test('a terminal: one line redrawn in place with a bar', (t) => {
  const { stream, text } = fakeStream(true);
  let now = 0;
  const p = new Progress({ label: 'verify', total: 4_000_000, unit: 'bytes', stream, now: () => now });
  now = 1000;
  p.add(1_000_000);
  t.is(text(), '\rverify: [#####...............] 25.0% 1,000,000/4,000,000 bytes, 1.00M bytes/s, ETA 0:03\x1b[K');
  p.finish();
  t.true(text().endsWith('\rverify: 1,000,000 bytes in 0:01 (1.00M bytes/s)\x1b[K\n'));
});

test('short work prints nothing at all', (t) => {
  const { stream, text } = fakeStream(false);
  const p = new Progress({ label: 'read', stream });
  p.add(10);
  p.finish();
  t.is(text(), '');
});

test('without a total: count and rate only', (t) => {
  let now = 0;
  const p = new Progress({ label: 'read', stream: fakeStream(false).stream, now: () => now });
  now = 2000;
  p.add(30_000);
  t.is(p.line(), 'read: 30,000 records, 15.0k records/s');
});

test('durations', (t) => {
  t.is(duration(0), '0:00');
  t.is(duration(65_000), '1:05');
  t.is(duration(3_723_000), '1:02:03');
});

test('an 80-column terminal: the bar goes first, then the counts; the ETA always shows', (t) => {
  const report = (label: string, total: number) => {
    const { stream, text } = fakeStream(true);
    stream.columns = 80;
    let now = 0;
    const p = new Progress({ label, total, unit: 'bytes', stream, now: () => now });
    now = 1000;
    p.add(Math.floor(total / 3));
    return text().slice(1, -3); // without \r and \x1b[K
  };
  const fits = report('dump', 3000);
  t.is(fits, 'dump: [#######.............] 33.3% 1,000/3,000 bytes, 1000 bytes/s, ETA 0:02');
  const noBar = report('verify', 4_000_000);
  t.is(noBar, 'verify: 33.3% 1,333,333/4,000,000 bytes, 1.33M bytes/s, ETA 0:02');
  const noCounts = report('verify /var/lib/logd/data', 40_000_000_000);
  t.is(noCounts, 'verify /var/lib/logd/data: 33.3% 13333.33M bytes/s, ETA 0:02');
  for (const line of [fits, noBar, noCounts]) t.true(line.length < 80, line);
});
