// The small state files of the data directory (failover roles, divergence marks).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateFile } from '../../src/storage/state-file.ts';
import { tempDir } from './_store.ts';

test('a missing state file reads as null; a replace is read back and leaves no temporary file', async (t) => {
  const dir = tempDir(t);
  const file = new StateFile(dir, '.state');
  t.is(file.read(), null);
  await file.replace(() => 'one\n');
  t.is(file.read(), 'one\n');
  t.is(new StateFile(dir, '.state').read(), 'one\n');
  t.deepEqual(readdirSync(dir), ['.state']);
});

test('replaces run one at a time, each with the state as it is when it starts: the file ends with the newest', async (t) => {
  const dir = tempDir(t);
  const file = new StateFile(dir, '.state');
  let state = 0;
  const writes: Promise<void>[] = [];
  const started: number[] = [];
  for (let i = 1; i <= 20; i++) {
    state = i;
    writes.push(
      file.replace(() => {
        started.push(state);
        return `${state}\n`;
      }),
    );
  }
  await Promise.all(writes);
  t.is(readFileSync(join(dir, '.state'), 'utf8'), '20\n');
  // All were asked for before the first started, so each wrote the newest state.
  t.deepEqual(started, Array<number>(20).fill(20));
});

test('a failed replace rejects and does not block the next one', async (t) => {
  const dir = tempDir(t);
  const file = new StateFile(dir, '.state');
  await file.replace(() => 'before\n');
  const failed = file.replace(() => {
    throw new Error('boom');
  });
  const next = file.replace(() => 'after\n');
  await t.throwsAsync(failed, { message: 'boom' });
  await next;
  t.is(file.read(), 'after\n');
});
