// 5,000 idle connections: each costs the server a few kilobytes, and it keeps serving.
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { MiB, mib, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';

const CONNECTIONS = scale(5000, 10_000 - 10);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

test(`${CONNECTIONS} idle connections keep server memory bounded and the server serving`, async (t) => {
  t.timeout(120_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < CONNECTIONS; i += 250) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, CONNECTIONS - i) }, () => open(server.port)))));
  }
  const probe = await Wire.open(server.port);
  t.is(await probe.command('PING'), 'PONG');
  t.regex(await probe.command('MSG test still here'), /^OK 1$/);
  const stats = await probe.command('STATS');
  t.true(stats.startsWith('STAT'));
  probe.close();
  const peak = rss.stop();
  const perConnection = (peak - before) / CONNECTIONS;
  t.log(`${CONNECTIONS} idle connections: server RSS ${mib(before)} -> peak ${mib(peak)} (${(perConnection / 1024).toFixed(1)} KiB each)`);
  t.true(peak - before < 160 * MiB, `RSS grew by ${mib(peak - before)}`);
  t.is(sockets.filter((s) => s.destroyed).length, 0, 'no idle connection was dropped');
});
