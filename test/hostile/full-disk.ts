// A 100% full disk at start and at stop, on a real tmpfs: SIGTERM neither throws nor skips the
// final sync (exit 0, no stack trace), a node starts on the full disk although recovery cannot
// rewrite an index (reads served, writes `ERR full`), and a failed write logs one line, not a
// stack trace. In-process, the stop is checked to fdatasync the chunks whatever fails before.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from '../../src/storage/io.ts';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { smallDisk, startInProcess } from './_disk.ts';
import { logtoolVerify } from './_verify.ts';

/** A 2 MiB tmpfs (the suite runs as root, as CI does; a test that cannot mount one fails, never skips). */
function tmpfs(t: import('ava').ExecutionContext): string {
  const mountPoint = fs.mkdtempSync(join(tmpdir(), 'logd-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(mountPoint, { recursive: true, force: true });
    throw new Error(`this test needs a real full disk: mounting a 2 MiB tmpfs failed (run the suite as root, as .ci/run does): ${(err as Error).message}`);
  }
  t.teardown(() => {
    execFileSync('umount', ['-l', mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}

/** Takes every byte left on the file system of `dir` (a file written until ENOSPC). */
function fillUp(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    for (const size of [65536, 4096, 1]) {
      const block = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

/** MSGs until the first refusal; returns the last id acknowledged and the refusal. */
async function writeUntilRefused(port: number): Promise<{ last: number; refusal: string }> {
  const wire = await Wire.open(port);
  let last = 0;
  try {
    for (let i = 0; i < 100_000; i++) {
      const reply = await wire.command(`MSG test ${i} ${'x'.repeat(900)}`);
      if (!reply.startsWith('OK ')) return { last, refusal: reply };
      last = Number(reply.slice(3));
    }
    throw new Error('the disk never filled up');
  } finally {
    wire.close();
  }
}

test.serial('a real full disk: SIGTERM exits 0 without a stack trace, the node starts again read-only, writes get ERR full', async (t) => {
  const mountPoint = tmpfs(t);
  const dir = join(mountPoint, 'data');
  const args = ['--fsync', 'none', '--chunk-bytes', '256K'];
  const first = await startServer({ dir, args });
  t.teardown(() => first.kill());
  const { last, refusal } = await writeUntilRefused(first.port);
  t.regex(refusal, /^ERR full /);
  const filler = fillUp(mountPoint);
  const wire = await Wire.open(first.port);
  for (let i = 0; i < 5; i++) t.regex(await wire.command(`MSG test more-${i} ${'y'.repeat(5000)}`), /^ERR full /); // more than a page
  // A pipelined run of MSGs shares one reply inside the server: each command still gets its own ERR line, in order.
  const run = 40;
  wire.send(`${Array.from({ length: run }, (_, i) => `MSG test run-${i} ${'r'.repeat(500)}\n`).join('')}PING\n`);
  for (let i = 0; i < run; i++) t.regex(await wire.line(), /^ERR full /, `reply ${i} of the run`);
  t.is(await wire.line(), 'PONG');
  wire.close();
  const failedLines = first
    .stderr()
    .split('\n')
    .filter((l) => l.includes('ENOSPC'));
  // One line per failed disk write, not per command: the first refusal, the five single MSGs, the run (one write, two if it arrived in two reads).
  t.true(failedLines.length >= 1 && failedLines.length <= 8, failedLines.join('\n'));
  t.notRegex(first.stderr(), /^\s+at /m, 'no stack trace');

  first.proc.kill('SIGTERM');
  t.is(await first.exited, 0, first.stderr());
  t.regex(first.stderr(), /stopped/);
  t.notRegex(first.stderr(), /^\s+at /m);

  // The active chunk's index lagged (fsync none) and could not be written at the stop: recovery
  // cannot rewrite it on this full disk either, and the node starts anyway.
  const second = await startServer({ dir, args });
  t.teardown(() => second.kill());
  t.regex(second.stderr(), /cannot rewrite index .*ENOSPC.*kept in memory/, 'recovery did meet the full disk');
  const reader = await Wire.open(second.port);
  t.is(await reader.command('HEAD test'), `OK ${last}`);
  reader.send('READ test 1 0 NOWAIT\n');
  const { records, end } = await reader.records();
  t.is(records.length, last);
  t.is(end, `END ${last + 1}`);
  t.regex(await reader.command(`MSG test on-a-full-disk ${'z'.repeat(5000)}`), /^ERR full /);
  reader.close();
  second.proc.kill('SIGTERM');
  t.is(await second.exited, 0, second.stderr());

  fs.rmSync(filler);
  const verified = await logtoolVerify(dir);
  t.true(verified.ok, verified.output);
  t.is(verified.records, last);
});

test.serial('a stop on a full disk fdatasyncs every chunk although the index cannot be written, and never throws', async (t) => {
  const disk = smallDisk();
  t.teardown(() => disk.remove());
  const node = await startInProcess(disk.dir, ['--fsync', 'none', '--chunk-bytes', '256K']);
  const { last, refusal } = await writeUntilRefused(node.port);
  t.regex(refusal, /^ERR full /);
  if (disk.kind === 'tmpfs') fillUp(join(disk.dir, '..'));
  const realSync = io.fdatasync;
  const realWrite = io.write;
  t.teardown(() => {
    io.fdatasync = realSync;
    io.write = realWrite;
  });
  const synced = new Set<number>();
  io.fdatasync = async (fd) => {
    synced.add(fd);
    return realSync(fd);
  };
  // Whatever the disk: the index write at the stop fails as on a full disk.
  io.write = async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  const log = node.node.store.get('test')!;
  await t.notThrowsAsync(node.node.close());
  t.true(synced.size >= 1, 'the chunks were synced');
  t.true(
    node.lines.some((l) => l.includes('cannot write index') || l.includes('at close')),
    node.lines.join('\n'),
  );
  t.is(log.head(), last);
  io.write = realWrite;
  const verified = await logtoolVerify(disk.dir);
  t.true(verified.ok, verified.output);
  t.is(verified.records, last);
});
