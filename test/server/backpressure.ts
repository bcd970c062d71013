// A client that does not take its output, or piles commands behind a stream, is not buffered
// without bound: each test waits until the stalled traffic has stopped moving (STATS or the
// client's own socket), then judges the server's peak memory over that time.
import test from 'ava';
import { MiB, mib, steady, watchRss } from '../hostile/_memory.ts';
import { stats, waitFor } from '../replication/_cluster.ts';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

const stat = async (port: number, name: string): Promise<number> => (await stats(port)).get(name) ?? 0;

/** Writes `chunk` again and again as fast as the socket takes it, up to maxBytes or until the connection closes. */
function flood(wire: Wire, chunk: Buffer, maxBytes: number): { written: () => number } {
  let written = 0;
  let open = true;
  void wire.closed.then(() => {
    open = false;
  });
  const more = (): void => {
    while (open && written < maxBytes) {
      written += chunk.length;
      if (!wire.socket.write(chunk)) return void wire.socket.once('drain', more);
    }
  };
  more();
  return { written: () => written };
}

/** Bytes of `wire`'s output that the kernel has taken (what the server could read). */
const taken = (wire: Wire): number => wire.socket.bytesWritten - wire.socket.writableLength;

test('a reader that does not read a large log keeps server memory bounded', async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none', '--chunk-bytes', '32M'] });
  t.teardown(() => server.stop());
  const writer = await Wire.open(server.port);
  const record = Buffer.alloc(64 * 1024, 'x');
  const perAppend = 16;
  const appends = 256; // 256 x 16 x 64 KiB = 256 MiB
  const header = `APPEND test ${Array(perAppend).fill(record.length).join(' ')}\n`;
  const body = Buffer.concat([record, Buffer.from('\n')]);
  for (let i = 0; i < appends; i++) {
    writer.send(header);
    for (let j = 0; j < perAppend; j++) {
      if (!writer.socket.write(body)) await new Promise((r) => writer.socket.once('drain', r));
    }
  }
  for (let i = 0; i < appends; i++) t.regex(await writer.line(60_000), /^OK \d+ \d+$/);
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();

  const reader = await Wire.open(server.port);
  reader.socket.pause(); // never reads: the kernel buffers fill, then the server must stop reading from disk
  reader.send('READ test 1\n');
  await waitFor('the stalled READ to send', async () => (await stat(server.port, 'bytes_out')) > 0);
  const sent = await steady('STATS bytes_out of the stalled READ', () => stat(server.port, 'bytes_out'));
  const peak = rss.stop();
  t.log(`server RSS before ${mib(before)}, peak with a stalled reader of a 256 MiB log ${mib(peak)}; ${mib(sent)} sent before it stopped`);
  t.true(sent < 64 * MiB, `the READ stopped at the socket buffers, not after ${mib(sent)} of the 256 MiB log`);
  t.true(peak - before < 96 * MiB, `RSS grew by ${mib(peak - before)}`);

  // The server still serves everyone else, and the stalled reader gets everything once it reads.
  t.is(await writer.command('PING'), 'PONG');
  reader.socket.resume();
  reader.send('STOP\n');
  const { records, end } = await reader.records(60_000);
  t.true(records.length > 0);
  t.is(end, `END ${records.length + 1}`);
  t.is(await reader.line(), 'OK');
  reader.close();
  writer.close();
});

test('a client that pipelines without reading replies is paused, not buffered without bound', async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  t.teardown(() => wire.close());
  wire.socket.pause();
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const pings = flood(wire, Buffer.from('PING\n'.repeat(200_000)), 400 * MiB); // 1 MB of commands, 1.2 MB of replies each
  await waitFor('the PINGs to run', async () => (await stat(server.port, 'cmd.ping')) > 0);
  const ran = await steady('STATS cmd.ping', () => stat(server.port, 'cmd.ping'));
  const peak = rss.stop();
  t.log(`client offered ${mib(pings.written())} of PINGs without reading, ${ran} ran; server RSS +${mib(peak - before)}`);
  t.true(wire.socket.writableLength > 0, 'the server stopped reading: the client holds PINGs it does not take');
  t.true(peak - before < 96 * MiB, `RSS grew by ${mib(peak - before)}`);
  wire.close();
  const other = await Wire.open(server.port);
  t.is(await other.command('PING'), 'PONG');
  other.close();
});

test('big commands queued behind a following READ are bounded: the server stops reading them, memory stays bounded', async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  t.teardown(() => wire.close());
  t.is(await wire.command('MSG test first'), 'OK 1');
  wire.send('READ test $\n');
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const msg = Buffer.from(`MSG test ${'x'.repeat(1024 * 1024 - 1)}\n`); // 1 MiB each, waiting behind the READ
  flood(wire, msg, 256 * msg.length);
  const offered = await steady("the bytes of MSGs the server's socket took", () => taken(wire));
  const peak = rss.stop();
  t.log(`${mib(offered)} of MSGs taken behind a follow before the server stopped reading; server RSS +${mib(peak - before)}`);
  t.true(wire.socket.writableLength > 0, 'the server stopped reading: the client holds MSGs it does not take');
  t.true(peak - before < 64 * MiB, `RSS grew by ${mib(peak - before)}`);
  const other = await Wire.open(server.port);
  t.teardown(() => other.close());
  t.is(await other.command('HEAD test'), 'OK 1', 'nothing queued behind the READ ran');
});
