// Disk faults through the server: a full disk (ENOSPC), and EIO or ENOSPC from a write or an
// fdatasync (injected through the storage io seam). The writer gets `ERR full` / `ERR internal`,
// never an OK for what is not on disk; the log stays consistent (no torn record is served, the
// next successful append gets the next id), reads keep working, writes resume once the fault is
// gone, and the directory passes `logtool verify` after a clean stop.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from '../../src/storage/io.ts';
import { Wire } from '../_wire.ts';
import { eio, enospc, smallDisk, startInProcess, type InProcessNode } from './_disk.ts';
import { checkRecords } from './_driver.ts';
import { readLog, recordsOf } from './_read-log.ts';
import { logtoolVerify } from './_verify.ts';

const realWrite = io.write;
const realSync = io.fdatasync;

/** Every record of `test` is whole and matches its CRC, ids 1..head without a gap; returns head. */
async function consistent(port: number): Promise<number> {
  const { frames, head } = await readLog(port, 'test');
  const records = recordsOf(frames);
  if (records.length !== head || records.some((r, i) => r.id !== i + 1)) throw new Error(`ids are not 1..${head}`);
  const bad = checkRecords(records, 1, new Map()).filter((p) => p.includes('CRC'));
  if (bad.length > 0) throw new Error(bad.join('; '));
  return head;
}

async function stopAndVerify(node: InProcessNode, dir: string, records: number): Promise<string> {
  await node.node.close();
  const verified = await logtoolVerify(dir);
  if (!verified.ok || verified.records !== records) throw new Error(`logtool verify: ${verified.output}`);
  return verified.output.trim();
}

test.serial('a full disk: ERR full, reads keep working, nothing torn is served, writes resume with the next id', async (t) => {
  const disk = smallDisk();
  t.teardown(() => disk.remove());
  const node = await startInProcess(disk.dir, ['--fsync', 'always', '--chunk-bytes', '64K']);
  const wire = await Wire.open(node.port);
  const text = 'x'.repeat(900);
  let last = 0;
  let refusal = '';
  for (let i = 0; i < 10_000 && !refusal; i++) {
    const reply = await wire.command(`MSG test ${i} ${text}`);
    if (reply.startsWith('OK ')) last = Number(reply.slice(3));
    else refusal = reply;
  }
  t.regex(refusal, /^ERR full /, `the ${disk.kind} disk filled up`);
  t.is(await wire.command('HEAD test'), `OK ${last}`, 'no id was used by the refused write');
  t.is(await consistent(node.port), last, 'reads keep working and serve only whole records');
  t.regex(await wire.command(`MSG test more ${text}`), /^ERR full /);
  // Records larger than a page: what is left of the chunk's last page cannot take them.
  const page = 'p'.repeat(5000);
  wire.send(`APPEND test 5000 5000 5000\n${page}\n${page}\n${page}\n`);
  t.regex(await wire.line(), /^ERR full /, 'an APPEND is refused as a whole');
  t.is(await wire.command('HEAD test'), `OK ${last}`);

  disk.free();
  t.is(await wire.command(`MSG test after ${text}`), `OK ${last + 1}`, 'writes resume with the next id');
  wire.send(`APPEND test 3 3 3\nabc\ndef\nghi\n`);
  t.is(await wire.line(), `OK ${last + 2} ${last + 4}`);
  t.is(await consistent(node.port), last + 4);
  wire.close();
  t.log(
    `${disk.kind} disk: ${last} records fit, then ERR full; after space returned ids went on from ${last + 1}; ${await stopAndVerify(node, disk.dir, last + 4)}`,
  );
});

/** In a node with --fsync always: `install` a fault, two appends fail with `expected`, then appends work again. */
async function faultyAppend(t: import('ava').ExecutionContext, install: () => void, expected: RegExp): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'logd-fault-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const node = await startInProcess(dir, ['--fsync', 'always']);
  t.teardown(() => {
    io.write = realWrite;
    io.fdatasync = realSync;
  });
  const wire = await Wire.open(node.port);
  t.is(await wire.command('MSG test one'), 'OK 1');
  install();
  // Two writers at once: both get the error, neither an OK.
  const other = await Wire.open(node.port);
  wire.send('APPEND test 3 3\nabc\ndef\n');
  other.send('MSG test two\n');
  t.regex(await wire.line(), expected);
  t.regex(await other.line(), expected);
  t.is(await wire.command('HEAD test'), 'OK 1');
  t.is(await consistent(node.port), 1, 'nothing of the failed group is served');
  io.write = realWrite;
  io.fdatasync = realSync;
  t.is(await other.command('MSG test three'), 'OK 2', 'the next append gets the next id');
  t.is(await consistent(node.port), 2);
  wire.close();
  other.close();
  await stopAndVerify(node, dir, 2);
}

test.serial('EIO during a write: ERR internal, nothing kept', (t) =>
  faultyAppend(
    t,
    () => {
      io.write = async (fd, pieces, pos) => {
        const bytes = Buffer.concat(pieces);
        await realWrite(fd, [bytes.subarray(0, bytes.length >> 1)], pos); // half of it reached the file
        throw eio('write');
      };
    },
    /^ERR internal EIO/,
  ),
);

test.serial('EIO during fdatasync: ERR internal, never OK, nothing kept', (t) =>
  faultyAppend(
    t,
    () => {
      io.fdatasync = async () => {
        throw eio('fdatasync');
      };
    },
    /^ERR internal EIO/,
  ),
);

test.serial('ENOSPC during fdatasync (thin provisioning, NFS): ERR full, never OK, nothing kept', (t) =>
  faultyAppend(
    t,
    () => {
      io.fdatasync = async () => {
        throw enospc('fdatasync');
      };
    },
    /^ERR full /,
  ),
);
