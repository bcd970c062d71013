// Property test: random appends (single and concurrent), reads, trims and reopens against an
// in-memory model of the log. Small random chunk sizes make rolls and cross-chunk reads common.
// Assertions inside the property throw (node:assert) so that fast-check can shrink a failure.
import test from 'ava';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { frameLength } from '../../protocol/frame.ts';
import { Store } from '../../src/storage/store.ts';
import { idsOf, payloadsOf } from './_store.ts';

type Op =
  | { kind: 'append'; batches: string[][] }
  | { kind: 'read'; start: number; maxRecords: number; maxBytes: number }
  | { kind: 'trim'; before: number }
  | { kind: 'reopen' };

const payload = fc.string({ maxLength: 120 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.array(fc.array(payload, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      start: fc.nat(80),
      maxRecords: fc.integer({ min: 1, max: 30 }),
      maxBytes: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), before: fc.nat(80) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

test('the log behaves like an array of payloads', async (t) => {
  const checked = { append: 0, read: 0, trim: 0, reopen: 0 };
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 150, max: 2000 }), fc.array(op, { maxLength: 40, size: 'max' }), async (chunkBytes, ops) => {
      const dir = mkdtempSync(join(tmpdir(), 'logd-model-'));
      const open = () => Store.open({ dir, fsync: { mode: 'none' }, chunkBytes, maxMsg: 1000, logger: () => {} });
      let store = await open();
      try {
        let log = await store.create('m');
        const model: string[] = ['']; // model[id]; ids below `first` are trimmed
        let first = 1;
        for (const o of ops) {
          checked[o.kind]++;
          const head = model.length - 1;
          if (o.kind === 'append') {
            const results = await Promise.all(o.batches.map((b) => log.append(b.map((s) => Buffer.from(s)))));
            for (const [i, b] of o.batches.entries()) {
              assert.deepEqual(results[i], { first: model.length, last: model.length + b.length - 1 });
              model.push(...b);
            }
          } else if (o.kind === 'read') {
            if (o.start < first) {
              await assert.rejects(
                async () => log.read(o.start, o.maxRecords, o.maxBytes),
                (err: LogdError) => err.code === 'gone' && err.message === String(first),
              );
              continue;
            }
            const r = await log.read(o.start, o.maxRecords, o.maxBytes);
            const available = Math.max(0, Math.min(o.maxRecords, head - o.start + 1));
            assert.equal(r.next, o.start + r.count);
            assert.deepEqual(
              idsOf(r.data),
              Array.from({ length: r.count }, (_, i) => o.start + i),
            );
            assert.deepEqual(payloadsOf(r.data), model.slice(o.start, o.start + r.count));
            if (available === 0) assert.equal(r.count, 0);
            else {
              assert.ok(r.count >= 1 && r.count <= available);
              if (r.count > 1) assert.ok(r.data.length <= o.maxBytes);
              // The run stops early only when the next record would not fit in maxBytes.
              if (r.count < available) assert.ok(r.data.length + frameLength(r.next, Date.now(), Buffer.byteLength(model[r.next]!)) > o.maxBytes);
            }
          } else if (o.kind === 'trim') {
            const newFirst = await log.trim(o.before);
            assert.ok(newFirst >= first && newFirst <= Math.max(first, o.before));
            assert.equal(newFirst, log.first());
            first = newFirst;
          } else {
            await store.close();
            store = await open();
            log = store.get('m')!;
          }
          assert.equal(log.head(), model.length - 1);
          assert.equal(log.first(), first);
        }
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 100 },
  );
  t.log(checked);
  t.true(
    Object.values(checked).every((n) => n > 50),
    JSON.stringify(checked),
  );
});
