// 5,000 idle connections: each costs the server a few kilobytes, it keeps serving, and every one
// of them is still served afterwards (none was dropped).
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { MiB, mib, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';

const CONNECTIONS = scale(5000, 10_000 - 10);

test(`${CONNECTIONS} idle connections keep server memory bounded and the server serving`, async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const idle: Wire[] = [];
  t.teardown(() => {
    for (const w of idle) w.close();
  });
  for (let i = 0; i < CONNECTIONS; i += 250) {
    idle.push(...(await Promise.all(Array.from({ length: Math.min(250, CONNECTIONS - i) }, () => Wire.open(server.port)))));
  }
  const probe = await Wire.open(server.port);
  t.is(await probe.command('PING'), 'PONG');
  t.regex(await probe.command('MSG test still here'), /^OK 1$/);
  probe.send('STATS\n');
  let open = -1;
  for (let line = await probe.line(); line !== 'END'; line = await probe.line()) if (line.startsWith('STAT connections ')) open = Number(line.split(' ')[2]);
  t.is(open, CONNECTIONS + 1, 'every idle connection is still open on the server');
  probe.close();
  const peak = rss.stop();
  const perConnection = (peak - before) / CONNECTIONS;
  t.log(`${CONNECTIONS} idle connections: server RSS ${mib(before)} -> peak ${mib(peak)} (${(perConnection / 1024).toFixed(1)} KiB each)`);
  t.true(peak - before < 160 * MiB, `RSS grew by ${mib(peak - before)}`);
  // None was dropped: each idle connection still answers, after all the others were opened.
  const answers = await Promise.all(idle.map((w) => w.command('PING').catch((err: Error) => err.message)));
  t.is(answers.filter((a) => a !== 'PONG').length, 0, `dropped: ${answers.find((a) => a !== 'PONG')}`);
});
