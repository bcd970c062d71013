// Checkpointed consumers: resume after the last commit, at least once, no loss.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Client } from '../../src/client/index.ts';
import { startServer, type RunningServer } from '../_server.ts';

const CHILD = fileURLToPath(new URL('./_consumer.ts', import.meta.url));
let server: RunningServer;
let client: Client;

test.before(async () => {
  server = await startServer({ id: 'co', args: ['--fsync', 'none'] });
  client = await connect({ host: server.host, port: server.port });
});

test.after.always(async () => {
  client?.destroy();
  await server?.stop();
});

/** Runs the consumer process until it has printed `until` ids (then SIGKILL) or `last`. */
function runConsumer(name: string, log: string, stopAfter: (ids: number[]) => boolean): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, server.host, String(server.port), name, log, '20'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ids: number[] = [];
  let partial = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) ids.push(Number(line));
      if (stopAfter(ids)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(ids) : reject(new Error(`consumer exited: ${code}`))));
  });
}

test('a consumer killed between its work and its checkpoint resumes after the server-side checkpoint (READ @name), losing nothing', async (t) => {
  const total = 300;
  await client.append(
    'co.jobs',
    Array.from({ length: total }, (_, i) => `job ${i + 1}`),
  );
  const first = await runConsumer('worker', 'co.jobs', (ids) => ids.length >= 137);
  const committed = await client.checkpoint('worker', 'co.jobs');
  const lastProcessed = first.at(-1) ?? 0;
  t.true(committed > 0 && committed <= lastProcessed, `committed ${committed}`);
  t.is(committed % 20, 0, 'commits every 20 records');
  // Killed between its work (ids up to the last printed) and its next checkpoint: the server holds the position.
  t.true(lastProcessed > committed, 'processed records the checkpoint does not cover yet');
  t.deepEqual(await client.consumers('co.jobs'), [{ name: 'worker', log: 'co.jobs', checkpoint: committed, lag: total - committed }]);
  const second = await runConsumer('worker', 'co.jobs', (ids) => ids.includes(total));
  t.is(second[0], committed + 1, 'resumes right after the checkpoint');
  t.deepEqual(
    first,
    Array.from({ length: first.length }, (_, i) => i + 1),
    'in order, no gap',
  );
  t.deepEqual(
    second,
    Array.from({ length: second.length }, (_, i) => committed + 1 + i),
    'in order, no gap',
  );
  const seen = new Set([...first, ...second]);
  t.is(seen.size, total, 'every record processed at least once');
  t.true(first.length + second.length - total < 20 + 1, 'redelivered fewer than commitEvery records');
});

test('close commits what was processed; the record in hand at break is not; commit(id) acknowledges it', async (t) => {
  await client.append('co.close', ['a', 'b', 'c', 'd', 'e']);
  const c1 = client.consumer({ name: 'closer', log: 'co.close', commitEvery: 1000 });
  for await (const r of c1) if (r.id === 3) break; // 1 and 2 processed, 3 in hand
  await c1.close();
  t.is(await client.checkpoint('closer', 'co.close'), 2);
  const c2 = client.consumer({ name: 'closer', log: 'co.close', commitEvery: 1000 });
  const seen: number[] = [];
  for await (const r of c2) {
    seen.push(r.id);
    if (r.id === 4) {
      await c2.commit(r.id);
      break;
    }
  }
  await c2.close();
  t.deepEqual(seen, [3, 4]);
  t.is(await client.checkpoint('closer', 'co.close'), 4);
});

test('commits every commitIntervalMs while records are processed', async (t) => {
  await client.append('co.timer', ['a', 'b']);
  const c = client.consumer({ name: 'timed', log: 'co.timer', commitEvery: 1000, commitIntervalMs: 50 });
  const it = c[Symbol.asyncIterator]();
  await it.next();
  await it.next(); // record 1 is processed now; only the periodic commit can store it
  while (c.committed < 1) await new Promise((r) => setTimeout(r, 10)); // until the server has acknowledged it
  t.is(c.committed, 1);
  t.is(await client.checkpoint('timed', 'co.timer'), 1);
  await c.close();
  await it.return();
});

test('close() while the loop waits for records ends the loop', async (t) => {
  await client.msg('co.idle', 'only');
  const c = client.consumer({ name: 'idle', log: 'co.idle' });
  let gotOnly!: () => void;
  const waiting = new Promise<void>((resolve) => (gotOnly = resolve));
  const loop = (async () => {
    let n = 0;
    for await (const _ of c) {
      n++;
      gotOnly(); // the loop's next step waits for a record that never comes
    }
    return n;
  })();
  await waiting;
  await c.close();
  t.is(await loop, 1);
  t.is(await client.checkpoint('idle', 'co.idle'), 1);
});
