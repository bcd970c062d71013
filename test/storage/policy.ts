import test from 'ava';
import { LogdError } from '../../protocol/errors.ts';
import { parseFsyncPolicy } from '../../src/storage/store.ts';

test('fsync policies parse', (t) => {
  t.deepEqual(parseFsyncPolicy('always'), { mode: 'always' });
  t.deepEqual(parseFsyncPolicy('none'), { mode: 'none' });
  t.deepEqual(parseFsyncPolicy('interval:1000'), { mode: 'interval', ms: 1000 });
});

test('bad fsync policies are syntax errors', (t) => {
  for (const bad of ['', 'sometimes', 'interval', 'interval:', 'interval:0', 'interval:-5', 'interval:1.5', 'ALWAYS']) {
    const err = t.throws(() => parseFsyncPolicy(bad));
    t.true(err instanceof LogdError && err.code === 'syntax', bad);
  }
});
