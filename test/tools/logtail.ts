// logtail against a real server: append, partial lines, rotation, truncation, deletion,
// re-creation, its own restart, a server outage, same-size rewrites with --mtime.
import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Client } from '../../src/client/index.ts';
import { startServer, type RunningServer } from '../_server.ts';
import { freePort, logtail, payloads, until, type RunningTail } from './_tools.ts';

let server: RunningServer;
let client: Client;

test.before(async () => {
  server = await startServer({ id: 'lt', args: ['--fsync', 'none'] });
  client = await connect({ host: server.host, port: server.port });
});

test.after.always(async () => {
  client?.destroy();
  await server?.stop();
});

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'logtail-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function startTail(t: { teardown(fn: () => Promise<void>): void }, file: string, log: string, extra: string[] = [], port = server.port): RunningTail {
  const tail = logtail([file, '--log', log, '--to', `127.0.0.1:${port}`, '--interval', '100', ...extra]);
  t.teardown(() => tail.kill());
  return tail;
}

/** Waits until the log holds exactly `expected`. */
async function expectLog(log: string, expected: string[], tail?: RunningTail): Promise<void> {
  let got: string[] = [];
  await until(
    () => `${log}: ${JSON.stringify(got)}, want ${JSON.stringify(expected)}\n${tail?.stderr() ?? ''}`,
    async () => {
      got = await payloads(client, log);
      return JSON.stringify(got) === JSON.stringify(expected);
    },
  );
}

/**
 * A barrier line: logtail sends a file's lines in order, so once `line`, appended now, is the
 * log's last record and the log holds exactly `want` + `line`, nothing was resent or skipped
 * before it (a late duplicate would sit ahead of it). Returns the new `want`.
 */
async function barrier(file: string, log: string, want: string[], line: string, tail?: RunningTail): Promise<string[]> {
  appendFileSync(file, `${line}\n`);
  const next = [...want, line];
  await expectLog(log, next, tail);
  return next;
}

test('append, partial line, rotation, truncation, deletion, re-creation, restart: the exact records', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'app.log');
  writeFileSync(file, 'a1\na2\n');
  let tail = startTail(t, file, 'lt.app', ['--status-log', 'lt.status']);
  const want = ['a1', 'a2'];
  await expectLog('lt.app', want, tail);

  // One write: once a3 is stored, logtail has read the partial `a4` too. Sent early, it would be
  // stored as `a4` and then `+` instead of one `a4+`.
  appendFileSync(file, 'a3\na4');
  want.push('a3');
  await expectLog('lt.app', want, tail);
  appendFileSync(file, '+\n');
  want.push('a4+');
  await expectLog('lt.app', want, tail);

  // Rotation: mv, then a new file at the path. The old file's last lines come first.
  appendFileSync(file, 'a5\n');
  renameSync(file, `${file}.1`);
  writeFileSync(file, 'b1\nb2\n');
  want.push('a5', 'b1', 'b2');
  await expectLog('lt.app', want, tail);

  // Truncation: the file shrinks and is written again.
  writeFileSync(file, 'c\n');
  want.push('c');
  await expectLog('lt.app', want, tail);

  // Deletion, then re-creation.
  unlinkSync(file);
  await until(
    () => tail.stderr(),
    async () => (await payloads(client, 'lt.status')).some((s) => s.startsWith('missing')),
  );
  writeFileSync(file, 'd1\n');
  want.push('d1');
  await expectLog('lt.app', want, tail);

  // Its own restart (SIGKILL: no goodbye), with lines written while it was down.
  await tail.kill();
  appendFileSync(file, 'e1\ne2\n');
  tail = startTail(t, file, 'lt.app', ['--status-log', 'lt.status']);
  want.push('e1', 'e2');
  await expectLog('lt.app', want, tail);
  const final = await barrier(file, 'lt.app', want, 'e3', tail); // nothing resent after the restart
  t.deepEqual(await payloads(client, 'lt.app'), final);

  const events = (await payloads(client, 'lt.status')).map((s) => s.split(' ')[0]);
  t.is(events[0], 'opened');
  for (const e of ['truncated', 'missing', 'reopened']) t.true(events.includes(e), `${e} in ${events.join(',')}`);
  // The rotation shows as `rotated`, or as `missing` then `reopened` if a check fell between the two steps.
  t.true(events.includes('rotated') || events.filter((e) => e === 'missing').length >= 2, events.join(','));
  // The state file is saved once the acknowledgement of e3 is back, just after the server stored it.
  const stateFile = join(dir, '.app.log.logtail');
  let state = JSON.parse(readFileSync(stateFile, 'utf8'));
  await until(
    () => `state ${JSON.stringify(state)}, want lastId ${final.length}`,
    async () => (state = JSON.parse(readFileSync(stateFile, 'utf8'))).lastId === final.length,
  );
  t.deepEqual(Object.keys(state).sort(), ['ino', 'lastId', 'offset']);
  t.is(state.offset, 'd1\ne1\ne2\ne3\n'.length);
  await tail.stop();
});

test('a file rotated while logtail was stopped is finished first', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'rot.log');
  writeFileSync(file, 'r1\n');
  let tail = startTail(t, file, 'lt.rot');
  await expectLog('lt.rot', ['r1'], tail);
  await tail.stop();
  appendFileSync(file, 'r2\n');
  renameSync(file, `${file}.1`);
  writeFileSync(file, 's1\n');
  tail = startTail(t, file, 'lt.rot');
  await expectLog('lt.rot', ['r1', 'r2', 's1'], tail);
  t.deepEqual(await barrier(file, 'lt.rot', ['r1', 'r2', 's1'], 's2', tail), await payloads(client, 'lt.rot'));
  await tail.stop();
});

test('a batch stored before its acknowledgement reached the state file is not sent again', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ack.log');
  const state = join(dir, 'ack.state');
  writeFileSync(file, 'k1\nk2\nk3\n');
  let tail = startTail(t, file, 'lt.ack', ['--state', state]);
  await expectLog('lt.ack', ['k1', 'k2', 'k3'], tail);
  await tail.stop();
  // As if logtail died right after the server stored k2 and k3 but before it saved that.
  const saved = JSON.parse(readFileSync(state, 'utf8'));
  writeFileSync(state, JSON.stringify({ ...saved, offset: 3, lastId: 1 }));
  appendFileSync(file, 'k4\n');
  tail = startTail(t, file, 'lt.ack', ['--state', state]);
  await expectLog('lt.ack', ['k1', 'k2', 'k3', 'k4'], tail);
  t.deepEqual(await barrier(file, 'lt.ack', ['k1', 'k2', 'k3', 'k4'], 'k5', tail), await payloads(client, 'lt.ack'));
  await tail.stop();
});

test('with another writer on the log, a batch stored before its acknowledgement reached the state file is not sent again', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'shared.log');
  const state = join(dir, 'shared.state');
  writeFileSync(file, 'L1\n');
  let tail = startTail(t, file, 'lt.shared', ['--state', state]);
  await expectLog('lt.shared', ['L1'], tail);
  t.is(await client.msg('lt.shared', 'other'), 2);
  // logtail claims id 2 for L2 and L3, is refused (conflict), saves that its next batch claims
  // id 3, and sends it there.
  appendFileSync(file, 'L2\nL3\n');
  await expectLog('lt.shared', ['L1', 'other', 'L2', 'L3'], tail);
  await tail.stop();
  const saved = JSON.parse(readFileSync(state, 'utf8'));
  t.deepEqual(saved, { ino: saved.ino, offset: 'L1\nL2\nL3\n'.length, lastId: 4 });
  // As if logtail died after the server stored L2 and L3 but before their acknowledgement reached
  // the state file: the state as saved right before that batch went out.
  writeFileSync(state, JSON.stringify({ ...saved, offset: 'L1\n'.length, lastId: 2 }));
  t.is(await client.msg('lt.shared', 'other2'), 5);
  appendFileSync(file, 'L4\n');
  tail = startTail(t, file, 'lt.shared', ['--state', state]);
  await expectLog('lt.shared', ['L1', 'other', 'L2', 'L3', 'other2', 'L4'], tail);
  // Lines go out in order: a resent L2 or L3 would come before L5.
  appendFileSync(file, 'L5\n');
  await expectLog('lt.shared', ['L1', 'other', 'L2', 'L3', 'other2', 'L4', 'L5'], tail);
  await tail.stop();
});

test('survives the server being down: buffers, reconnects, resumes without loss or duplicates', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--fsync', 'none'];
  let own = await startServer({ id: 'dn', dir: data, args });
  t.teardown(() => own.kill());
  const file = join(dir, 'down.log');
  writeFileSync(file, 'l1\n');
  const tail = startTail(t, file, 'dn', [], port);
  let c = await connect({ port });
  const wantOn = async (want: string[]) => {
    let got: string[] = [];
    await until(
      () => `${JSON.stringify(got)} ${tail.stderr()}`,
      async () => JSON.stringify((got = await payloads(c, 'dn').catch(() => []))) === JSON.stringify(want),
    );
  };
  await wantOn(['l1']);
  c.destroy();
  await own.stop();
  appendFileSync(file, 'l2\nl3\n');
  const retries = tail.stderr().split('retrying').length;
  await until(
    () => tail.stderr(),
    async () => tail.stderr().split('retrying').length > retries,
  ); // it tried the dead server
  own = await startServer({ id: 'dn', dir: data, args });
  c = await connect({ port });
  await wantOn(['l1', 'l2', 'l3']);
  appendFileSync(file, 'l4\n');
  await wantOn(['l1', 'l2', 'l3', 'l4']);
  // One line when the outage starts, one when lines flow again: not one per attempt.
  const lines = tail.stderr().split('\n');
  t.is(lines.filter((l) => /retrying/.test(l)).length, 1, tail.stderr());
  const back = lines.filter((l) => /^logtail: shipping again after \d+\.\d s \(\d+ failed attempts\)$/.test(l));
  t.is(back.length, 1, tail.stderr());
  t.true(Number(/\((\d+) failed/.exec(back[0] ?? '')?.[1]) >= 2, 'several attempts, one line');
  c.destroy();
  await tail.stop();
});

test('--mtime: a same-size rewrite is read again', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'mt.log');
  writeFileSync(file, 'x1\n');
  const tail = startTail(t, file, 'lt.mtime', ['--mtime']);
  await expectLog('lt.mtime', ['x1'], tail);
  // The rewrite must get a later mtime: first wait until the file system stamps a later time
  // (its timestamps are coarser than a millisecond on some machines).
  const { mtimeMs } = statSync(file);
  const probe = join(dir, 'probe');
  do {
    writeFileSync(probe, '');
    await new Promise((r) => setImmediate(r));
  } while (statSync(probe).mtimeMs <= mtimeMs);
  writeFileSync(file, 'y1\n');
  await expectLog('lt.mtime', ['x1', 'y1'], tail);
  t.deepEqual(await barrier(file, 'lt.mtime', ['x1', 'y1'], 'y2', tail), await payloads(client, 'lt.mtime'));
  await tail.stop();
});

test('--help, and usage errors exit 2', async (t) => {
  const help = logtail(['--help']);
  await new Promise((r) => help.proc.on('exit', r));
  t.is(help.proc.exitCode, 0);
  const bad = logtail(['some.log']);
  await new Promise((r) => bad.proc.on('exit', r));
  t.is(bad.proc.exitCode, 2);
  t.regex(bad.stderr(), /--log/);
});
