// Oversized input: a 1 GiB line with no newline, and an APPEND that declares 10 GB. The server
// refuses each at once, holds none of it, and the connection and everyone else carry on.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { MiB, mib, watchRss } from './_memory.ts';

const GiB = 1024 * MiB;

/** Writes `total` bytes of `fill` in 1 MiB pieces, waiting for the socket to drain. */
async function stream(wire: Wire, total: number, fill: string): Promise<void> {
  const piece = Buffer.alloc(MiB, fill);
  for (let sent = 0; sent < total; sent += piece.length) {
    if (!wire.socket.write(piece.subarray(0, Math.min(piece.length, total - sent)))) {
      await new Promise((resolve) => wire.socket.once('drain', resolve));
    }
  }
}

test('a 1 GiB line without a newline is refused once, skipped, and never held', async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const wire = await Wire.open(server.port);
  const other = await Wire.open(server.port);
  await stream(wire, 512 * MiB, 'a');
  t.regex(await wire.line(), /^ERR toolong /, 'refused long before its end');
  t.is(await other.command('PING'), 'PONG', 'others are served meanwhile');
  await stream(wire, 512 * MiB, 'a');
  wire.send('\nPING\n');
  t.is(await wire.line(60_000), 'PONG', 'the line is skipped through its LF and the connection continues');
  const peak = rss.stop();
  t.log(`1 GiB line: server RSS ${mib(before)} -> peak ${mib(peak)}`);
  t.true(peak - before < 64 * MiB, `RSS grew by ${mib(peak - before)}`);
  wire.close();
  other.close();
});

test('an APPEND declaring 10 GB is refused at once and its body skipped without buffering', async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const wire = await Wire.open(server.port);
  wire.send(`APPEND test ${10 * GiB}\n`);
  t.regex(await wire.line(), /^ERR toolong /);
  await stream(wire, 256 * MiB, 'b'); // the client keeps sending its body: skipped, never stored
  const other = await Wire.open(server.port);
  t.is(await other.command('HEAD test'), 'OK 0');
  t.is(await other.command('MSG test after'), 'OK 1');
  const peak = rss.stop();
  t.log(`APPEND of 10 GB declared, 256 MiB sent: server RSS ${mib(before)} -> peak ${mib(peak)}`);
  t.true(peak - before < 64 * MiB, `RSS grew by ${mib(peak - before)}`);
  wire.close();
  other.close();
});
