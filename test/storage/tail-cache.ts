import test from 'ava';
import { TailBudget, TailCache } from '../../src/storage/tail-cache.ts';
import { openStore, payloadsOf, tempDir } from './_store.ts';

test('the tail cache answers ranges inside one kept round and forgets the oldest past its limit', (t) => {
  const cache = new TailCache(10);
  cache.add(0, Buffer.from('abcd'));
  cache.add(4, Buffer.from('efgh'));
  t.is(cache.slice(1, 3)?.toString(), 'bc');
  t.is(cache.slice(4, 8)?.toString(), 'efgh');
  t.is(cache.slice(2, 6), null, 'a range across two rounds is read from disk');
  cache.add(8, Buffer.from('ijkl')); // 12 bytes: the oldest round goes
  t.is(cache.slice(0, 2), null);
  t.is(cache.slice(8, 12)?.toString(), 'ijkl');
  cache.add(12, Buffer.alloc(11)); // larger than the whole cache: nothing is kept
  t.is(cache.slice(8, 12), null);
  cache.add(23, Buffer.from('xy'));
  cache.clear();
  t.is(cache.slice(23, 25), null);
});

test('all logs share one tail budget: the least recently written caches are emptied past it', (t) => {
  const budget = new TailBudget(10);
  const a = new TailCache(8, budget);
  const b = new TailCache(8, budget);
  const c = new TailCache(8, budget);
  a.add(0, Buffer.from('aaaa'));
  b.add(0, Buffer.from('bbbb'));
  t.is(budget.held, 8);
  a.add(4, Buffer.from('AA')); // a is now the most recently written
  t.is(budget.held, 10);
  c.add(0, Buffer.from('cccc')); // 14 > 10: b, written least recently, goes
  t.is(budget.held, 10);
  t.is(b.slice(0, 4), null);
  t.is(a.slice(4, 6)?.toString(), 'AA');
  t.is(c.slice(0, 4)?.toString(), 'cccc');
  a.clear();
  t.is(budget.held, 4);
});

test('with a small tail budget, a thousand logs written in turn read back right (from the files)', async (t) => {
  const { store } = await openStore(t, tempDir(t), { tailBytes: 4096 });
  const names = Array.from({ length: 1000 }, (_, i) => `log${i}`);
  for (const round of [1, 2]) {
    await Promise.all(names.map(async (name) => (await store.create(name)).append([Buffer.from(`${name}:${round}:`.padEnd(1000, 'x'))])));
  }
  for (const name of ['log0', 'log500', 'log999']) {
    const { data, count } = await store.get(name)!.read(1, 10, 1 << 20);
    t.is(count, 2);
    t.deepEqual(
      payloadsOf(data).map((p) => p.slice(0, p.indexOf('x'))),
      [`${name}:1:`, `${name}:2:`],
    );
  }
});
