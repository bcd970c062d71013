// Crash loop: appends pipelined over several connections to a node with --fsync always, killed
// with SIGKILL at a random moment, again and again on the same directory. After every kill the
// directory passes `logtool verify`, and after every restart each acknowledged batch is there
// under the ids of its OK, every record matches its CRC, ids have no gap, and no batch is partly
// there (an unacknowledged one is whole or absent). What was checked once is then compared by
// hash: the bytes of a record never change.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../_server.ts';
import { AppendDriver, checkRecords, type Acked } from './_driver.ts';
import { readLog, recordsOf, sha256 } from './_read-log.ts';
import { scale } from './_soak.ts';
import { logtoolVerify } from './_verify.ts';

const CYCLES = scale(10, 50);
const ARGS = ['--fsync', 'always', '--chunk-bytes', '256K'];

test(`crash loop: ${CYCLES} SIGKILLs of a node taking pipelined appends with --fsync always`, async (t) => {
  t.timeout(scale(120_000, 900_000));
  const dir = mkdtempSync(join(tmpdir(), 'logd-crash-loop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const acked: Acked = new Map();
  /** The part of the log checked so far: its bytes and their hash. */
  let checked = { bytes: 0, records: 0, hash: sha256(Buffer.alloc(0)) };
  let tornTails = 0;
  for (let cycle = 0; ; cycle++) {
    const server = await startServer({ dir, args: ARGS });
    const { frames, head } = await readLog(server.port, 'test');
    const problems = sha256(frames.subarray(0, checked.bytes)) === checked.hash ? [] : ['records checked before have changed'];
    const records = recordsOf(frames, checked.bytes);
    problems.push(...checkRecords(records, checked.records + 1, acked));
    if (problems.length > 0) {
      await server.kill();
      return t.fail(`after ${cycle} kills: ${problems.join('; ')}`);
    }
    checked = { bytes: frames.length, records: head, hash: sha256(frames) };
    if (cycle === CYCLES) {
      await server.stop();
      t.log(
        `${CYCLES} kills survived: ${acked.size} acknowledged batches, all ${head} records intact; logtool verify passed ${CYCLES} times, finding ${tornTails} torn tails (cut by recovery)`,
      );
      t.true(acked.size >= CYCLES);
      return;
    }
    const driver = new AppendDriver({ port: server.port, log: 'test', generation: String(cycle) }, acked);
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 500));
    await server.kill();
    await driver.stop(); // takes the acknowledgements already sent, then sees the connections drop
    const check = await logtoolVerify(dir);
    if (!check.ok) return t.fail(`after kill ${cycle + 1}: logtool verify: ${check.output}`);
    if (/^NOTE .*tail of \d+ bytes/m.test(check.output)) tornTails++;
  }
});
