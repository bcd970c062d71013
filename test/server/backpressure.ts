import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { rssBytes } from './_rss.ts';

const MiB = 1024 * 1024;

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
  const before = rssBytes(server.proc.pid!);

  const reader = await Wire.open(server.port);
  reader.socket.pause(); // never reads: the kernel buffers fill, then the server must stop reading from disk
  reader.send('READ test 1\n');
  await new Promise((r) => setTimeout(r, 3000));
  const during = rssBytes(server.proc.pid!);
  t.log(`server RSS before ${(before / MiB).toFixed(0)} MiB, with a stalled reader of a 256 MiB log ${(during / MiB).toFixed(0)} MiB`);
  t.true(during - before < 96 * MiB, `RSS grew by ${((during - before) / MiB).toFixed(0)} MiB`);

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
  wire.socket.pause();
  const before = rssBytes(server.proc.pid!);
  const chunk = Buffer.from('PING\n'.repeat(200_000)); // 1 MB of commands, 1.2 MB of replies
  let written = 0;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (!wire.socket.write(chunk)) await Promise.race([new Promise((r) => wire.socket.once('drain', r)), new Promise((r) => setTimeout(r, 200))]);
    written += chunk.length;
    if (written > 400 * 1024 * 1024) break;
  }
  const during = rssBytes(server.proc.pid!);
  t.log(`client wrote ${(written / MiB).toFixed(0)} MiB of PINGs without reading; server RSS +${((during - before) / MiB).toFixed(0)} MiB`);
  t.true(during - before < 96 * MiB);
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
  const before = rssBytes(server.proc.pid!);
  const msg = Buffer.from(`MSG test ${'x'.repeat(1024 * 1024 - 1)}\n`); // 1 MiB each, waiting behind the READ
  let sent = 0;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && sent < 256) {
    if (!wire.socket.write(msg)) await Promise.race([new Promise((r) => wire.socket.once('drain', r)), new Promise((r) => setTimeout(r, 200))]);
    sent++;
  }
  const during = rssBytes(server.proc.pid!);
  t.log(`${sent} MiB of MSGs offered behind a follow; server RSS +${((during - before) / MiB).toFixed(0)} MiB`);
  t.true(during - before < 64 * MiB, `RSS grew by ${((during - before) / MiB).toFixed(0)} MiB`);
  const other = await Wire.open(server.port);
  t.teardown(() => other.close());
  t.is(await other.command('HEAD test'), 'OK 1', 'nothing queued behind the READ ran');
});
