import test from 'ava';
import { supervise, type RunOutcome } from '../../src/replication/supervisor.ts';

/** Runs supervise over a scripted list of outcomes and records the delays it asks for. */
async function script(outcomes: (RunOutcome | Error)[]) {
  const delays: number[] = [];
  const crashes: unknown[] = [];
  const controller = new AbortController();
  let runs = 0;
  await supervise(
    async () => {
      const next = outcomes[runs++];
      if (next === undefined) {
        controller.abort();
        return 'failed';
      }
      if (next instanceof Error) throw next;
      return next;
    },
    {
      minDelayMs: 100,
      maxDelayMs: 1000,
      signal: controller.signal,
      onCrash: (err) => crashes.push(err),
      wait: async (ms) => {
        delays.push(ms);
      },
    },
  );
  return { delays, crashes, runs };
}

test('failures back off exponentially with jitter, capped; progress starts over', async (t) => {
  const { delays, runs } = await script(['failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'progressed', 'failed']);
  t.is(runs, 9);
  const ceilings = [100, 200, 400, 800, 1000, 1000, 100, 200];
  t.is(delays.length, ceilings.length);
  for (const [i, ceiling] of ceilings.entries()) t.true(delays[i]! >= ceiling / 2 && delays[i]! <= ceiling, `delay ${i}: ${delays[i]} for ceiling ${ceiling}`);
});

test('a run that throws is reported and restarted; done stops', async (t) => {
  const boom = new Error('boom');
  const { crashes, runs, delays } = await script([boom, 'progressed', 'done', 'failed']);
  t.deepEqual(crashes, [boom]);
  t.is(runs, 3);
  t.is(delays.length, 2);
});

test('aborting ends the wait between runs at once', async (t) => {
  const controller = new AbortController();
  let runs = 0;
  const done = supervise(
    async () => {
      runs++;
      setTimeout(() => controller.abort(), 10);
      return 'failed';
    },
    { minDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal, onCrash: () => {} },
  );
  await done;
  t.is(runs, 1);
});
