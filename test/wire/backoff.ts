import test from 'ava';
import { backoffDelay, Retry, sleep } from '../../src/wire/backoff.ts';

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

test('Retry: the k-th failure since progress waits backoffDelay(k - 1); progress starts over', async (t) => {
  const waited: number[] = [];
  const heard: number[] = [];
  const retry = new Retry({ minDelayMs: 100, maxDelayMs: 1000 }, async (ms) => {
    waited.push(ms);
  });
  for (let i = 0; i < 5; i++) await retry.failed(undefined, (ms) => heard.push(ms));
  t.is(retry.failures, 5);
  retry.progressed();
  t.is(retry.failures, 0);
  await retry.failed();
  t.deepEqual(heard, waited.slice(0, 5));
  const ceilings = [100, 200, 400, 800, 1000, 100];
  t.is(waited.length, ceilings.length);
  for (const [i, ms] of waited.entries()) {
    const ceiling = ceilings[i] as number;
    t.true(ms >= ceiling / 2 && ms <= ceiling, `wait ${i}: ${ms}`);
  }
});
