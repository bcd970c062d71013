import test from 'ava';
import { backoffDelay, sleep } from '../../src/wire/backoff.ts';

test('delays grow exponentially up to the cap, with jitter in the upper half', (t) => {
  const opts = { minDelayMs: 100, maxDelayMs: 1000 };
  for (let i = 0; i < 200; i++) {
    const d0 = backoffDelay(0, opts);
    t.true(d0 >= 50 && d0 <= 100);
    const d2 = backoffDelay(2, opts);
    t.true(d2 >= 200 && d2 <= 400);
    const d9 = backoffDelay(9, opts);
    t.true(d9 >= 500 && d9 <= 1000);
    const huge = backoffDelay(5000, opts);
    t.true(huge >= 500 && huge <= 1000);
  }
});

test('jitter spreads the delays', (t) => {
  const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3)));
  t.true(delays.size > 10);
});

test('sleep ends early when its signal aborts', async (t) => {
  const abort = new AbortController();
  const started = Date.now();
  setTimeout(() => abort.abort(), 10);
  await sleep(60_000, abort.signal);
  t.true(Date.now() - started < 10_000);
});
