// Slowloris: many connections each sending one byte a second. Each holds only its few bytes, the
// server keeps answering everyone else at once, and the dribbled commands are answered correctly.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { MiB, mib, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';

const CLIENTS = scale(500, 2000);
const SECONDS = scale(6, 60);

test(`${CLIENTS} clients sending one byte a second for ${SECONDS} s`, async (t) => {
  t.timeout((SECONDS + 60) * 1000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const wires = await Promise.all(Array.from({ length: CLIENTS }, () => Wire.open(server.port)));
  t.teardown(() => {
    for (const w of wires) w.close();
  });
  // Each sends the first SECONDS bytes of `MSG test <i>-xxx...` one a second, then the rest at once.
  const lines = wires.map((_, i) => Buffer.from(`MSG test ${i}-`.padEnd(SECONDS - 1, 'x') + '\n'));
  const probe = await Wire.open(server.port);
  let slowestPing = 0;
  for (let s = 0; s < SECONDS; s++) {
    for (const [i, wire] of wires.entries()) if (s < lines[i]!.length) wire.send(lines[i]!.subarray(s, s + 1));
    const sent = Date.now();
    t.is(await probe.command('PING'), 'PONG');
    slowestPing = Math.max(slowestPing, Date.now() - sent);
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const [i, wire] of wires.entries()) if (lines[i]!.length > SECONDS) wire.send(lines[i]!.subarray(SECONDS));
  const ids = new Set<string>();
  for (const wire of wires) ids.add(await wire.line(30_000));
  t.is(ids.size, CLIENTS, 'every dribbled MSG got its own id');
  t.true([...ids].every((line) => /^OK \d+$/.test(line)));
  t.is(await probe.command('HEAD test'), `OK ${CLIENTS}`);
  probe.close();
  const peak = rss.stop();
  t.log(`${CLIENTS} slowloris clients for ${SECONDS} s: server RSS ${mib(before)} -> peak ${mib(peak)}; slowest PING meanwhile ${slowestPing} ms`);
  t.true(peak - before < 96 * MiB, `RSS grew by ${mib(peak - before)}`);
  // "At once": the probe is never held behind the dribblers; every PING is answered well within
  // the second in which each of them sends its next byte.
  t.true(slowestPing < 1000, `a PING took ${slowestPing} ms while the slow clients dribbled`);
});
