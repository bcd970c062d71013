// 1,000 clients each following a log and never reading: the server stops reading from disk for a
// client whose output is not taken (backpressure), so its memory stays bounded, and it keeps
// serving everyone else, including a follower that does read.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { stats, waitFor } from '../replication/_cluster.ts';
import { MiB, mib, steady, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';

const FOLLOWERS = scale(1000, 2000);
const LOG_BYTES = 64 * MiB;

test(`${FOLLOWERS} followers that never read keep server memory bounded`, async (t) => {
  t.timeout(180_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const writer = await Wire.open(server.port);
  const record = Buffer.alloc(16 * 1024, 'r');
  const perAppend = 64;
  const header = `APPEND test ${Array(perAppend).fill(record.length).join(' ')}\n`;
  const appends = LOG_BYTES / record.length / perAppend;
  for (let i = 0; i < appends; i++) {
    writer.send(header);
    for (let j = 0; j < perAppend; j++) writer.send(Buffer.concat([record, Buffer.from('\n')]));
  }
  for (let i = 0; i < appends; i++) t.regex(await writer.line(60_000), /^OK \d+ \d+$/);

  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const followers: Wire[] = [];
  t.teardown(() => {
    for (const w of followers) w.close();
  });
  for (let i = 0; i < FOLLOWERS; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, FOLLOWERS - i) }, () => Wire.open(server.port)));
    for (const w of batch) {
      w.socket.pause(); // never reads
      w.send('READ test 1\n');
    }
    followers.push(...batch);
  }
  // Let every stream fill its socket; meanwhile the log grows and a reading follower keeps up.
  const reader = await Wire.open(server.port);
  reader.send(`READ test ${appends * perAppend + 1} 100\n`);
  for (let i = 0; i < 100; i++) t.regex(await writer.command(`MSG test live-${i}`), /^OK \d+$/);
  const { records } = await reader.records(60_000);
  t.is(records.length, 100, 'a reading follower gets the live records');
  // Every stalled stream has filled its socket once nothing more is sent: STATS bytes_out stops moving.
  await waitFor(`${FOLLOWERS} streams`, async () => (await stats(server.port)).get('streams') === FOLLOWERS);
  const sent = await steady('STATS bytes_out of the stalled followers', async () => (await stats(server.port)).get('bytes_out') ?? 0);
  t.is(await writer.command('PING'), 'PONG');
  const peak = rss.stop();
  const each = (peak - before) / FOLLOWERS;
  t.log(
    `${FOLLOWERS} stalled followers of a ${mib(LOG_BYTES)} log (${mib(sent)} sent before they all stopped): server RSS ${mib(before)} -> peak ${mib(peak)} (${(each / 1024).toFixed(0)} KiB each)`,
  );
  // A stalled stream holds at most 64 KiB of unsent output plus its last read step, and steps
  // stay small while many streams share the read budget (a follower held 1.4 to 2 MiB before).
  t.true(each < 1024 * 1024, `RSS grew by ${mib(peak - before)}`);
  reader.close();
  writer.close();
});
