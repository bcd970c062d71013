// Child process of the crash test: appends batches to log "crash" with the given fsync policy,
// from four concurrent writers, until it is killed. Each record's payload names its batch:
// `<batch> <index> <batch-size> ` padded with 'p'. After each acknowledged append it prints
// `<batch> <first-id> <last-id>` (stdout is a pipe: the write is synchronous).
// Usage: node --import tsx _crash-writer.ts <dir> <first-batch-number> <fsync policy>
import { parseFsyncPolicy, Store } from '../../src/storage/store.ts';

const [dir, firstBatch, fsync] = process.argv.slice(2);
if (fsync === undefined) throw new Error('usage: _crash-writer.ts <dir> <first-batch-number> <fsync policy>');
const store = await Store.open({
  dir: dir!,
  fsync: parseFsyncPolicy(fsync),
  chunkBytes: 256 << 10,
  maxMsg: 1 << 20,
  logger: (line) => process.stderr.write(`${line}\n`),
});
const log = await store.create('crash');
let batch = Number(firstBatch);

/** Mostly small batches of small records; now and then a batch of about 1 MB, so a kill can tear it. */
function payloadsFor(b: number): Buffer[] {
  const big = Math.random() < 0.1;
  const size = big ? 100 : 1 + Math.floor(Math.random() * 20);
  return Array.from({ length: size }, (_, i) => {
    const len = big ? 10_000 : Math.floor(Math.random() * 3000);
    return Buffer.from(`${b} ${i} ${size} `.padEnd(len, 'p'));
  });
}

async function writer(): Promise<void> {
  for (;;) {
    const b = batch++;
    const { first, last } = await log.append(payloadsFor(b));
    process.stdout.write(`${b} ${first} ${last}\n`);
  }
}

process.stdout.write('ready\n');
for (let lane = 0; lane < 4; lane++) void writer();
