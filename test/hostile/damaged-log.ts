// A damaged log against real nodes: the node starts, answers `ERR internal <log> is damaged:
// <file> <offset>` for that log and serves the others, logs the file and offset, deletes nothing
// (logtool verify reports DAMAGE before and after the restart), and `logtool repair` makes it open
// again; `logtool refill` then copies back from a replica what the repair moved aside. And a READ
// that meets a corrupt record sends the good records before it, then `ERR internal corrupt record <id>`.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGTOOL } from '../_commands.ts';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { Cluster, readAll, waitFor } from '../replication/_cluster.ts';
import { logtoolVerify } from './_verify.ts';

function logtool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...LOGTOOL, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'logd-damaged-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function chunksOf(logDir: string): string[] {
  return fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.chunk'))
    .sort();
}

async function writeRecords(port: number, log: string, from: number, count: number): Promise<void> {
  const wire = await Wire.open(port);
  for (let i = from; i < from + count; i++) {
    const reply = await wire.command(`MSG ${log} record-${i}-${'p'.repeat(40)}`);
    if (reply !== `OK ${i}`) throw new Error(`MSG ${log} ${i}: ${reply}`);
  }
  wire.close();
}

test('a damaged log: ERR internal <log> is damaged, other logs served, evidence kept until logtool repair', async (t) => {
  const dir = tempDir(t);
  const args = ['--fsync', 'always', '--chunk-bytes', '1K'];
  const first = await startServer({ dir, args });
  t.teardown(() => first.kill());
  await writeRecords(first.port, 'test', 1, 60);
  await writeRecords(first.port, 'test.other', 1, 5);
  await first.stop();
  t.is(await first.exited, 0);

  const logDir = join(dir, 'test');
  const chunks = chunksOf(logDir);
  const sealed = join(logDir, chunks[1]!);
  const cutTo = fs.statSync(sealed).size - 5;
  fs.truncateSync(sealed, cutTo);
  const lastKept = Number(chunks[2]!.slice(0, 20)) - 2; // the truncated chunk's last record is lost

  const before = await logtoolVerify(dir);
  t.false(before.ok);
  t.regex(before.output, /^DAMAGE test\//m);

  for (let run = 0; run < 2; run++) {
    const node = await startServer({ dir, args });
    t.teardown(() => node.kill());
    const damaged = new RegExp(`^ERR internal test is damaged: test/${chunks[1]} \\d+$`);
    t.regex(node.stderr(), new RegExp(`storage: log test is damaged and not opened: ${sealed} at byte \\d+`));
    const wire = await Wire.open(node.port);
    t.regex(await wire.command('MSG test more'), damaged);
    t.regex(await wire.command('READ test 1 0 NOWAIT'), damaged);
    t.regex(await wire.command('HEAD test'), damaged);
    t.is(await wire.command(`MSG test.other again-${run}`), `OK ${6 + run}`, 'other logs are served');
    t.is(await wire.command('HEAD test.other'), `OK ${6 + run}`);
    wire.close();
    await node.stop();
    t.is(await node.exited, 0);
    t.is(fs.statSync(sealed).size, cutTo, 'nothing was cut');
    t.deepEqual(chunksOf(logDir), chunks, 'no chunk was deleted');
    const after = await logtoolVerify(dir);
    t.false(after.ok, 'verify still reports the damage after a restart');
    t.regex(after.output, /^DAMAGE test\//m);
  }

  const repaired = await logtool(['repair', dir, 'test']);
  t.is(repaired.code, 0, repaired.stderr);
  t.regex(repaired.stdout, /^moved test\/.* -> test\/damaged\//m);
  t.regex(repaired.stdout, new RegExp(`^test: repaired, ids 1\\.\\.${lastKept}$`, 'm'));
  t.true(fs.readdirSync(join(logDir, 'damaged')).length > 0);
  t.true((await logtoolVerify(dir)).ok);

  const node = await startServer({ dir, args });
  t.teardown(() => node.kill());
  const wire = await Wire.open(node.port);
  t.is(await wire.command('HEAD test'), `OK ${lastKept}`);
  wire.send('READ test 1 0 NOWAIT\n');
  const { records, end } = await wire.records();
  t.deepEqual(
    records.map((r) => r.id),
    Array.from({ length: lastKept }, (_, i) => i + 1),
  );
  t.is(end, `END ${lastKept + 1}`);
  t.is(await wire.command('MSG test after-repair'), `OK ${lastKept + 1}`);
  wire.close();
  await node.stop();
});

test('repair then refill from a replica: the owner gets back, byte for byte, what the repair moved aside', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  const spec = { args: ['--chunk-bytes', '1K'] };
  const alice = await cluster.start('alice', spec);
  await cluster.start('bob', spec);
  await writeRecords(alice.port, 'alice', 1, 50);
  await waitFor('bob to hold alice 1..50', async () => (await readAll(cluster.port('bob'), 'alice')).equals(await readAll(alice.port, 'alice')));
  const original = await readAll(alice.port, 'alice');
  await alice.stop();

  const logDir = join(cluster.dataDir('alice'), 'alice');
  const chunks = chunksOf(logDir);
  const victim = join(logDir, chunks[chunks.length - 2]!);
  const data = fs.readFileSync(victim);
  data[data.length - 4]! ^= 0x01; // the last record of the second-newest chunk
  fs.writeFileSync(victim, data);

  const repaired = await logtool(['repair', cluster.dataDir('alice'), 'alice']);
  t.is(repaired.code, 0, repaired.stderr);
  const head = Number(/ids 1\.\.(\d+)$/m.exec(repaired.stdout)![1]);
  t.true(head < 50);

  const refilled = await logtool(['refill', cluster.dataDir('alice'), 'alice', '--port', String(cluster.port('bob')), '--chunk-bytes', '1K']);
  t.is(refilled.code, 0, refilled.stderr);
  t.is(refilled.stdout.trim(), `${50 - head} ${head + 1} 50`);
  t.true((await logtoolVerify(cluster.dataDir('alice'))).ok);

  const again = await cluster.start('alice', spec);
  t.true((await readAll(again.port, 'alice')).equals(original), 'the same bytes as before the damage');
  await writeRecords(again.port, 'alice', 51, 1);
});

test('refill refuses a replica with another history', async (t) => {
  const dir = tempDir(t);
  const owner = await startServer({ dir, args: ['--fsync', 'none'] });
  t.teardown(() => owner.kill());
  await writeRecords(owner.port, 'test', 1, 3);
  await owner.stop();
  const other = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => other.stop());
  const wire = await Wire.open(other.port);
  for (let i = 1; i <= 5; i++) t.is(await wire.command(`MSG test another-${i}`), `OK ${i}`);
  wire.close();
  const refused = await logtool(['refill', dir, 'test', '--port', String(other.port)]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /record 3 differs .*not the same history, refusing/);
});

test('READ meeting a corrupt record: the good records before it, then ERR internal corrupt record <id>, and one stderr line', async (t) => {
  const dir = tempDir(t);
  const first = await startServer({ dir, args: ['--fsync', 'always'] });
  t.teardown(() => first.kill());
  await writeRecords(first.port, 'test', 1, 10);
  await first.stop();
  const chunk = join(dir, 'test', chunksOf(join(dir, 'test'))[0]!);
  const data = fs.readFileSync(chunk);
  data[data.indexOf('\r\n', data.indexOf('REC 6 ')) + 3]! ^= 0x01;
  fs.writeFileSync(chunk, data);

  const node = await startServer({ dir, args: ['--fsync', 'always'] });
  t.teardown(() => node.kill());
  const wire = await Wire.open(node.port);
  wire.send('READ test 1 0 NOWAIT\n');
  const { records, end } = await wire.records();
  t.deepEqual(
    records.map((r) => r.id),
    [1, 2, 3, 4, 5],
  );
  t.is(end, 'ERR internal corrupt record 6');
  t.is(await wire.command('PING'), 'PONG', 'the connection stays usable');
  await waitFor('the stderr line', () => node.stderr().includes(`log test: corrupt record 6 in ${chunk} at byte`));
  wire.close();
  await node.stop();
});

test('a directory named like a chunk and a wrong id: verify reports each once without crashing, the node starts, repair fixes both', async (t) => {
  const dir = tempDir(t);
  const args = ['--fsync', 'always', '--chunk-bytes', '1K'];
  const first = await startServer({ dir, args });
  t.teardown(() => first.kill());
  await writeRecords(first.port, 'test', 1, 30);
  await writeRecords(first.port, 'test.dir', 1, 30);
  await first.stop();
  const wrongId = join(dir, 'test', chunksOf(join(dir, 'test'))[0]!);
  const data = fs.readFileSync(wrongId);
  data.write('REC 9 ', data.indexOf('REC 3 '), 'latin1'); // the CRC covers the payload only: it still matches
  fs.writeFileSync(wrongId, data);
  fs.mkdirSync(join(dir, 'test.dir', '00000000000000000999.chunk'));

  const verified = await logtool(['verify', dir, '--quiet']);
  t.is(verified.code, 1, verified.stderr);
  const damage = verified.stdout.split('\n').filter((l) => l.startsWith('DAMAGE '));
  t.deepEqual(
    damage.map((l) => l.split(':')[0]),
    [`DAMAGE test/${wrongId.split('/').pop()}`, 'DAMAGE test.dir/00000000000000000999.chunk'],
    verified.stdout,
  );

  const node = await startServer({ dir, args });
  t.teardown(() => node.kill());
  const wire = await Wire.open(node.port);
  // A clean stop: the sealed chunk is checked in O(1) at open, so the wrong id is found by the read.
  t.is(await wire.command('HEAD test'), 'OK 30');
  wire.send('READ test 1 0 NOWAIT\n');
  const { records, end } = await wire.records();
  t.deepEqual(
    records.map((r) => r.id),
    [1, 2],
  );
  t.is(end, 'ERR internal corrupt record 3');
  t.is(await wire.command('HEAD test.dir'), 'ERR internal test.dir is damaged: test.dir/00000000000000000999.chunk 0');
  t.is(await wire.command('MSG test.fine ok'), 'OK 1');
  wire.close();
  await node.stop();

  const stray = await logtool(['repair', dir, 'test.dir']);
  t.is(stray.code, 0, stray.stderr);
  t.regex(stray.stdout, /^moved test\.dir\/00000000000000000999\.chunk -> test\.dir\/damaged\/00000000000000000999\.chunk$/m);
  t.regex(stray.stdout, /^test\.dir: repaired, ids 1\.\.30$/m, 'nothing but the stray moved');
  const cut = await logtool(['repair', dir, 'test']);
  t.is(cut.code, 0, cut.stderr);
  t.regex(cut.stdout, /^test: repaired, ids 1\.\.2$/m);
  const again = await logtool(['verify', dir, '--quiet']);
  t.is(again.code, 0, again.stdout);
  t.is((await logtool(['repair', '--help'])).code, 0);
  t.is((await logtool(['refill', '--help'])).code, 0);
});
