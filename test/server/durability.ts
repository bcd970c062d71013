import test from 'ava';
import { payloadCrc } from '../../protocol/frame.ts';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { waitFor } from '../replication/_cluster.ts';

/** Pipelines MSGs until stopped; returns the ids acknowledged with OK. */
async function writeUntil(wire: Wire, tag: string, stopped: () => boolean): Promise<number[]> {
  const acked: number[] = [];
  let sent = 0;
  try {
    while (!stopped()) {
      let batch = '';
      for (let i = 0; i < 200; i++) batch += `MSG test ${tag}-${++sent}\n`;
      wire.send(batch);
      for (let i = 0; i < 200; i++) {
        const m = /^OK (\d+)$/.exec(await wire.line(5000));
        if (!m) throw new Error('unexpected reply');
        acked.push(Number(m[1]));
      }
    }
  } catch {
    // the server went away mid-batch: what was acknowledged so far is what counts
  }
  return acked;
}

/** Resolves once the log `test` holds `id` (writes are being acknowledged). */
async function headReaches(port: number, id: number): Promise<void> {
  const probe = await Wire.open(port);
  try {
    await waitFor(`HEAD test to reach ${id}`, async () => Number((await probe.command('HEAD test')).split(' ')[1]) >= id);
  } finally {
    probe.close();
  }
}

async function verifyAll(port: number, acked: number[]): Promise<{ head: number }> {
  const wire = await Wire.open(port);
  const head = Number((await wire.command('HEAD test')).split(' ')[1]);
  wire.send(`READ test 1 ${head} NOWAIT\n`);
  const { records, end } = await wire.records(30_000);
  wire.close();
  if (end !== `END ${head + 1}`) throw new Error(`READ ended with ${end}, head ${head}`);
  records.forEach((r, i) => {
    if (r.id !== i + 1) throw new Error(`gap at ${i + 1}`);
    if (payloadCrc(r.payload) !== r.crc || !/^w\d-\d+$/.test(r.payload.toString())) throw new Error(`record ${r.id} is damaged: ${r.payload}`);
  });
  const maxAcked = acked.length ? Math.max(...acked) : 0;
  if (head < maxAcked) throw new Error(`head ${head} is below acknowledged id ${maxAcked}`);
  return { head };
}

test('SIGTERM stops gracefully and keeps every acknowledged record', async (t) => {
  const first = await startServer();
  const wire = await Wire.open(first.port);
  let stop = false;
  const writing = writeUntil(wire, 'w0', () => stop);
  await headReaches(first.port, 1000);
  first.proc.kill('SIGTERM');
  t.is(await first.exited, 0);
  stop = true;
  const acked = await writing;
  t.true(acked.length > 0);
  t.regex(first.stderr(), /stopped/);
  const second = await startServer({ dir: first.dir });
  t.teardown(() => second.stop());
  const { head } = await verifyAll(second.port, acked);
  t.log(`${acked.length} acknowledged before SIGTERM, head after restart ${head}`);
});

test('a restart after SIGKILL under --fsync always keeps every acknowledged record', async (t) => {
  const first = await startServer({ args: ['--fsync', 'always'] });
  const wires = await Promise.all([Wire.open(first.port), Wire.open(first.port)]);
  let stop = false;
  const writing = wires.map((w, i) => writeUntil(w, `w${i}`, () => stop));
  await headReaches(first.port, 1000);
  await new Promise((r) => setTimeout(r, Math.random() * 400)); // then a kill at a random point of the writes
  await first.kill();
  stop = true;
  const acked = (await Promise.all(writing)).flat();
  t.true(acked.length > 0);
  const second = await startServer({ dir: first.dir });
  t.teardown(() => second.stop());
  const { head } = await verifyAll(second.port, acked);
  t.log(`${acked.length} acknowledged before SIGKILL, head after restart ${head}`);
});

test('SHUTDOWN stops the server only with --allow-shutdown', async (t) => {
  const denied = await startServer();
  t.teardown(() => denied.stop());
  const w1 = await Wire.open(denied.port);
  t.regex(await w1.command('SHUTDOWN'), /^ERR denied /);
  t.is(await w1.command('PING'), 'PONG');
  w1.close();

  const allowed = await startServer({ args: ['--allow-shutdown'] });
  const w2 = await Wire.open(allowed.port);
  t.is(await w2.command('MSG test kept'), 'OK 1');
  t.is(await w2.command('SHUTDOWN'), 'OK');
  t.is(await allowed.exited, 0);
  const again = await startServer({ dir: allowed.dir });
  t.teardown(() => again.stop());
  const w3 = await Wire.open(again.port);
  t.is(await w3.command('HEAD test'), 'OK 1');
  w3.close();
});

test('a SIGTERM sent the moment the listening line appears still stops gracefully (exit 0, logged)', async (t) => {
  for (let i = 0; i < 3; i++) {
    const server = await startServer();
    server.proc.kill('SIGTERM');
    t.is(await server.exited, 0, server.stderr());
    t.regex(server.stderr(), /received SIGTERM/);
    await server.stop();
  }
});
