import test from 'ava';
import { TailCache } from '../../src/storage/tail-cache.ts';

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
