import test from 'ava';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParticipantsWatcher, parseParticipants, type Participant } from '../../src/replication/participants.ts';

test('parses names and addresses, skipping comments and blank lines', (t) => {
  const list = parseParticipants('# name   address\nalice    127.0.0.1:4001\n\n  bob 127.0.0.1:4002   # the second\r\ncarol [::1]:4003\n');
  t.deepEqual(list, [
    { name: 'alice', host: '127.0.0.1', port: 4001 },
    { name: 'bob', host: '127.0.0.1', port: 4002 },
    { name: 'carol', host: '::1', port: 4003 },
  ]);
});

test('names the line of anything it cannot read', (t) => {
  t.throws(() => parseParticipants('alice 127.0.0.1:1\nbob\n'), { message: /^line 2: expected/ });
  t.throws(() => parseParticipants('alice 127.0.0.1:1\nalice 127.0.0.1:2\n'), { message: /line 2: alice is listed twice/ });
  t.throws(() => parseParticipants('a.b 127.0.0.1:1\n'), { message: /line 1: not a valid node name/ });
  t.throws(() => parseParticipants('bob 127.0.0.1\n'), { message: /line 1: bad address/ });
  t.throws(() => parseParticipants('bob 127.0.0.1:99999\n'), { message: /line 1: bad address/ });
  t.throws(() => parseParticipants('bob :80\n'), { message: /line 1: bad address/ });
});

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'logd-peers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'peers');
  const lines: string[] = [];
  const changes: Participant[][] = [];
  let wake: () => void = () => {};
  const watcher = new ParticipantsWatcher(
    file,
    (list) => {
      changes.push(list);
      wake();
    },
    (line) => {
      lines.push(line);
      wake();
    },
    100,
  );
  t.teardown(() => watcher.stop());
  const next = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      if (pred()) return resolve();
      wake = () => {
        if (pred()) resolve();
      };
    });
  return { file, watcher, changes, lines, next };
}

test('the watcher reports edits, in-place and by rename, and keeps the list on a bad file', async (t) => {
  const { file, watcher, changes, lines, next } = setup(t);
  writeFileSync(file, 'alice 127.0.0.1:1\n');
  t.deepEqual(await watcher.start(), [{ name: 'alice', host: '127.0.0.1', port: 1 }]);

  writeFileSync(file, 'alice 127.0.0.1:1\nbob 127.0.0.1:2\n');
  await next(() => changes.length === 1);
  t.deepEqual(
    changes[0]?.map((p) => p.name),
    ['alice', 'bob'],
  );

  writeFileSync(file + '.tmp', 'alice 127.0.0.1:3\n');
  renameSync(file + '.tmp', file);
  await next(() => changes.length === 2);
  t.deepEqual(changes[1], [{ name: 'alice', host: '127.0.0.1', port: 3 }]);

  writeFileSync(file, 'alice\n');
  await next(() => lines.some((l) => /line 1: expected .* keeping the previous list/.test(l)));
  t.is(changes.length, 2);

  rmSync(file);
  await next(() => lines.some((l) => /cannot be read \(ENOENT\)/.test(l)));
  writeFileSync(file, 'carol 127.0.0.1:4\n');
  await next(() => changes.length === 3);
  t.deepEqual(
    changes[2]?.map((p) => p.name),
    ['carol'],
  );
});

test('a missing or bad file at start-up is an error', async (t) => {
  const { file, watcher } = setup(t);
  await t.throwsAsync(watcher.start(), { code: 'ENOENT' });
  writeFileSync(file, 'bob nowhere\n');
  await t.throwsAsync(watcher.start(), { message: /participants file .*peers: line 1: bad address/ });
});
