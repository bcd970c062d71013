// Logs that vanish under a running node (issue 11, point 5): a log directory removed or moved
// away, or the whole data directory removed, while the node runs. The next write is refused
// with `ERR internal` before any OK, an idle log is noticed by the timer within about a second,
// stderr says so once, and after a restart nothing acknowledged is missing.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { waitFor } from '../replication/_cluster.ts';

function dataDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'logd-vanish-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function linesAbout(node: RunningServer, text: string): string[] {
  return node
    .stderr()
    .split('\n')
    .filter((l) => l.includes(text));
}

async function open(t: ExecutionContext, node: RunningServer): Promise<Wire> {
  const wire = await Wire.open(node.port);
  t.teardown(() => wire.close());
  return wire;
}

for (const fsync of ['always', 'interval:50', 'none']) {
  test(`fsync ${fsync}: a log directory removed or moved away refuses writes before any OK; other logs go on; nothing acknowledged is lost`, async (t) => {
    const dir = dataDir(t);
    const args = ['--fsync', fsync];
    const node = await startServer({ dir, args });
    t.teardown(() => node.stop());
    const wire = await open(t, node);
    for (const log of ['test.alice', 'test.bob', 'test.dave']) {
      t.is(await wire.command(`MSG ${log} one`), 'OK 1');
      t.is(await wire.command(`MSG ${log} two`), 'OK 2');
    }
    rmSync(join(dir, 'test.alice'), { recursive: true, force: true });
    renameSync(join(dir, 'test.dave'), join(dir, '.dave-moved')); // not a log name: not listed at restart
    for (let i = 0; i < 3; i++) {
      t.regex(
        await wire.command('MSG test.alice three'),
        /^ERR internal log test\.alice is lost: .*test\.alice\/00000000000000000001\.chunk was removed while the node ran/,
      );
      t.regex(await wire.command('APPEND test.dave 1 1\nx\ny'), /^ERR internal log test\.dave is lost: /);
    }
    t.regex(await wire.command('READ test.alice 1 0 NOWAIT'), /^ERR internal log test\.alice is lost/);
    t.is(await wire.command('MSG test.bob three'), 'OK 3');
    t.is(linesAbout(node, 'log test.alice:').length, 1, node.stderr());
    t.is(linesAbout(node, 'log test.dave:').length, 1, node.stderr());
    wire.close();
    await node.stop();

    const again = await startServer({ dir, args });
    t.teardown(() => again.stop());
    const wire2 = await open(t, again);
    // Nothing was acknowledged after the removal, so nothing acknowledged is missing: the removed logs start over.
    t.is(await wire2.command('HEAD test.alice'), 'OK 0');
    t.is(await wire2.command('HEAD test.dave'), 'OK 0');
    t.is(await wire2.command('HEAD test.bob'), 'OK 3');
    t.is(await wire2.command('MSG test.alice again'), 'OK 1');
  });
}

test('an idle log whose directory is removed is noticed by the timer, without a write, in about a second', async (t) => {
  const dir = dataDir(t);
  const node = await startServer({ dir, args: ['--fsync', 'none'] });
  t.teardown(() => node.stop());
  const wire = await open(t, node);
  t.is(await wire.command('MSG test.carol one'), 'OK 1');
  rmSync(join(dir, 'test.carol'), { recursive: true, force: true });
  await waitFor('the stderr line about test.carol', () => linesAbout(node, 'log test.carol:').length > 0, 5000);
  t.regex(
    linesAbout(node, 'log test.carol:')[0] ?? '',
    /test\.carol\/00000000000000000001\.chunk was removed while the node ran: refusing its writes and reads until restart/,
  );
  t.regex(await wire.command('MSG test.carol two'), /^ERR internal log test\.carol is lost/);
  t.is(linesAbout(node, 'log test.carol:').length, 1);
});

test('the whole data directory removed: every write, read and new log is refused; stop works; nothing acknowledged is missing after restart', async (t) => {
  const dir = dataDir(t);
  const args = ['--fsync', 'always'];
  const node = await startServer({ dir, args });
  t.teardown(() => node.stop());
  const wire = await open(t, node);
  t.is(await wire.command('MSG test.a one'), 'OK 1');
  t.is(await wire.command('MSG test.b one'), 'OK 1');
  rmSync(dir, { recursive: true, force: true });
  // At once, before the timer: the write's own check.
  t.regex(await wire.command('MSG test.a two'), /^ERR internal log test\.a is lost: /);
  await waitFor('the stderr line about the data directory', () => linesAbout(node, 'was removed or replaced while the node ran').length > 0, 5000);
  t.regex(await wire.command('MSG test.b two'), /^ERR internal log test\.b is lost: data directory .* was removed or replaced while the node ran/);
  t.regex(await wire.command('MSG test.new one'), /^ERR internal cannot create test\.new: data directory .* was removed or replaced while the node ran/);
  t.regex(await wire.command('MSG test one'), /^ERR internal /);
  t.is(await wire.command('PING'), 'PONG');
  t.is(linesAbout(node, 'storage: data directory').length, 1, node.stderr());
  wire.close();
  await node.stop();
  t.is(await node.exited, 0, node.stderr());

  const again = await startServer({ dir, args });
  t.teardown(() => again.stop());
  const wire2 = await open(t, again);
  for (const log of ['test', 'test.a', 'test.b', 'test.new']) t.is(await wire2.command(`HEAD ${log}`), 'OK 0');
});
