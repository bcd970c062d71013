// SEEK by time over TCP: the first record at or after a time, across many chunks, at their
// boundaries, before the first and after the last record; timestamps never go backwards, also
// across a restart whose head record is stamped in the future (a clock that was ahead).
import test from 'ava';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadCrc, frameLength, writeFrame } from '../../protocol/frame.ts';
import { chunkFirstId } from '../../src/storage/chunk-names.ts';
import { connect, type Client } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';

async function all(client: Client, log: string): Promise<{ id: number; timestamp: number }[]> {
  const out: { id: number; timestamp: number }[] = [];
  for await (const r of client.read(log, 1)) out.push({ id: r.id, timestamp: r.timestamp });
  return out;
}

test('SEEK finds the first record at or after a time: every timestamp, chunk boundaries, before the first, after the last', async (t) => {
  const server = await startServer({ id: 'seek', args: ['--fsync', 'none', '--chunk-bytes', '2048'] });
  t.teardown(() => server.stop());
  const client = await connect({ port: server.port });
  t.teardown(() => client.destroy());
  // Bursts share a millisecond; the pauses between them give the records distinct times.
  for (let burst = 0; burst < 60; burst++) {
    const size = 1 + (burst % 7);
    await Promise.all(Array.from({ length: size }, (_, i) => client.msg('seek', `burst ${burst} record ${i} ${'x'.repeat(burst % 50)}`)));
    await new Promise((resolve) => setTimeout(resolve, 1 + (burst % 3)));
  }
  const records = await all(client, 'seek');
  const head = records.length;
  const firstAtOrAfter = (time: number): number => records.find((r) => r.timestamp >= time)?.id ?? head + 1;
  for (let i = 1; i < head; i++) t.true(records[i]!.timestamp >= records[i - 1]!.timestamp, `timestamps never go backwards (record ${i + 1})`);
  const chunkStarts = readdirSync(join(server.dir, 'seek'))
    .map(chunkFirstId)
    .filter((id): id is number => id !== undefined);
  t.true(chunkStarts.length >= 8, `${chunkStarts.length} chunks`);

  const times = new Set<number>([0, records[0]!.timestamp - 1, records[head - 1]!.timestamp + 1, Date.now() + 3_600_000]);
  for (const r of records) for (const d of [-1, 0, 1]) times.add(r.timestamp + d);
  for (const time of times) t.is(await client.seek('seek', time), firstAtOrAfter(time), `SEEK ${time}`);
  for (const start of chunkStarts) {
    const ts = records[start - 1]!.timestamp;
    t.is(await client.seek('seek', ts), firstAtOrAfter(ts), `the first record of chunk ${start}`);
    t.is(await client.seek('seek', new Date(ts).toISOString()), firstAtOrAfter(ts), `ISO, chunk ${start}`);
  }
  t.is(await client.seek('seek', 0), 1, 'before the first record: the first');
  t.is(await client.seek('seek', records[head - 1]!.timestamp + 1), head + 1, 'after the last record: head + 1');
  // An offset is applied: the same instant an hour later in +01:00.
  const mid = records[Math.floor(head / 2)]!.timestamp;
  const plusOne = new Date(mid + 3_600_000).toISOString().replace('Z', '+01:00');
  t.is(await client.seek('seek', plusOne), firstAtOrAfter(mid));
});

test("timestamps never go backwards: after a restart the writer stamps at least the head record's time", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ id: 'clock', dir });
  t.teardown(() => server.stop());
  const client = await connect({ port: server.port });
  t.is(await client.msg('clock', 'now'), 1);
  client.destroy();
  await server.stop();
  // Record 2 as a node whose clock was a day ahead stored it (the clock was then set back).
  const future = Date.now() + 86_400_000;
  const payload = Buffer.from('from the future');
  const frame = Buffer.alloc(frameLength(2, future, payload.length));
  writeFrame(frame, 0, 2, future, payload, payloadCrc(payload));
  const chunk = readdirSync(join(server.dir, 'clock')).find((f) => chunkFirstId(f) !== undefined)!;
  appendFileSync(join(server.dir, 'clock', chunk), frame);

  const again = await startServer({ id: 'clock', dir: server.dir });
  t.teardown(() => again.stop());
  const c2 = await connect({ port: again.port });
  t.teardown(() => c2.destroy());
  t.is(await c2.head('clock'), 2);
  t.is(await c2.msg('clock', 'after the restart'), 3);
  const records = await all(c2, 'clock');
  t.is(records[1]?.timestamp, future);
  t.is(records[2]?.timestamp, future, 'stamped max(clock, previous): the clock is a day behind');
  t.is(await c2.seek('clock', future), 2);
  t.is(await c2.seek('clock', future + 1), 4);
});
