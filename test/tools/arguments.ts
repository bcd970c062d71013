// The one grammar of command-line values (src/arguments.ts) that logd, logtool, logtail and the
// participants file share: sizes, durations, counts, HOST:PORT with [v6] and port 0 only to listen.
import test from 'ava';
import { parseCount, parseDuration, parseHostPort, parsePort, parseSize, splitHostPort, UsageError } from '../../src/arguments.ts';
import { LOGTAIL, LOGTOOL } from '../_commands.ts';
import { run } from './_tools.ts';

test('sizes: bare bytes, K/M/G as powers of 1024, optional B or iB; zero and junk refused', (t) => {
  t.is(parseSize('65536', '--x'), 65536);
  t.is(parseSize('64M', '--x'), 64 << 20);
  t.is(parseSize('1MiB', '--x'), 1 << 20);
  t.is(parseSize('16k', '--x'), 16 << 10);
  t.is(parseSize('2GB', '--x'), 2 * 1024 ** 3);
  for (const bad of ['0', '-1', '1T', 'M', '1.5M', '']) t.throws(() => parseSize(bad, '--x'), { instanceOf: UsageError, message: /^--x: / }, bad);
});

test('durations: ms, s, m, h, d, a bare number is ms; zero and junk refused', (t) => {
  t.is(parseDuration('90s', '--x'), 90_000);
  t.is(parseDuration('500ms', '--x'), 500);
  t.is(parseDuration('250', '--x'), 250);
  t.is(parseDuration('7d', '--x'), 7 * 86_400_000);
  for (const bad of ['0', '1w', 's', '1.5s']) t.throws(() => parseDuration(bad, '--x'), { instanceOf: UsageError }, bad);
});

test('counts: whole numbers from a minimum', (t) => {
  t.is(parseCount('0', '--x', 0), 0);
  t.is(parseCount('10000', '--x', 1), 10000);
  for (const bad of ['0', '-3', '1e3', 'x', '']) t.throws(() => parseCount(bad, '--x', 1), { instanceOf: UsageError }, bad);
});

test('HOST:PORT: [v6] brackets come off, port 0 only where a server listens', (t) => {
  t.deepEqual(parseHostPort('127.0.0.1:1774', '--listen', 'listen'), { host: '127.0.0.1', port: 1774 });
  t.deepEqual(parseHostPort('[::1]:0', '--listen', 'listen'), { host: '::1', port: 0 });
  t.deepEqual(parseHostPort('[fe80::1]:9000', '--to', 'connect'), { host: 'fe80::1', port: 9000 });
  t.throws(() => parseHostPort('localhost:0', '--to', 'connect'), { instanceOf: UsageError, message: /^--to: expected HOST:PORT/ });
  for (const bad of ['localhost', ':1774', 'h:65536', 'h:x', 'h:', '[]:1']) t.is(splitHostPort(bad, 'listen'), null, bad);
  t.is(parsePort('0', '--port', 'listen'), 0);
  t.throws(() => parsePort('0', '--port', 'connect'), { instanceOf: UsageError });
  t.throws(() => parsePort('70000', '--port', 'listen'), { instanceOf: UsageError });
});

test('logtool --port and logtail --to refuse a port nothing can connect to: usage, exit 2', async (t) => {
  for (const argv of [
    [...LOGTOOL, 'head', 'x', '--port', '0'],
    [...LOGTOOL, 'head', 'x', '--port', '99999'],
    [...LOGTAIL, 'f', '--log', 'x', '--to', 'localhost:0'],
  ]) {
    const out = await run(argv);
    t.is(out.code, 2, argv.join(' '));
    t.regex(out.stderr, /port/, argv.join(' '));
  }
});
