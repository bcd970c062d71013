import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChunkPaths } from '../../../src/storage/chunk-names.ts';
import { chunksIn, logsIn } from '../../../src/storage/listing.ts';
import { arity, EXIT_FAILED, EXIT_OK, listOrNotFound, type Subcommand } from '../cli.ts';
import { ChunkScanner, fileSize, readIndex } from '../chunk-files.ts';
import { lockShared } from '../data-lock.ts';
import { Progress } from '../../progress.ts';

export const verify: Subcommand = {
  summary: 'check every chunk, index entry and CRC of a data directory',
  usage: `verify <dir> [--force] [--quiet]

Reads every log of a data directory that no server holds: each record's shape, CRC and id
(consecutive within and across chunks), and each index entry. Prints one line per problem:
DAMAGE (records lost or wrong: exit 1) or NOTE (what the server repairs by itself when it
opens the directory: a torn or uncommitted tail of the last chunk, missing index entries).
Refuses (exit 1) while a server holds the directory, unless --force (then the tail of a
chunk being written may look torn). Progress on stderr unless --quiet.`,
  network: false,
  options: {
    force: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(positionals, values) {
    arity(positionals, 1, 1);
    const dir = positionals[0];
    const release = lockShared(dir);
    if (!release && !values.force) {
      process.stderr.write(`logtool verify: ${dir} is held by a running logd; stop it first, or use --force\n`);
      return EXIT_FAILED;
    }
    if (!release) process.stderr.write(`logtool verify: warning: ${dir} is held by a running logd\n`);
    try {
      const report = new Report();
      const logs = listOrNotFound(() => logsIn(dir), `no such directory: ${dir}`);
      const chunksByLog = logs.map((log) => chunksIn(join(dir, log)));
      const sizes = await Promise.all(chunksByLog.flat().map((c) => fileSize(c.chunkPath)));
      const progress = values.quiet ? null : new Progress({ label: 'verify', total: sizes.reduce((a, b) => a + b, 0), unit: 'bytes' });
      for (let i = 0; i < logs.length; i++) await verifyLog(logs[i]!, chunksByLog[i]!, report, progress);
      progress?.finish();
      console.log(
        `${report.damage === 0 ? 'OK' : 'DAMAGED'}: ${logs.length} logs, ${report.chunks} chunks, ${report.records} records` +
          `, ${report.damage} damaged, ${report.notes} notes`,
      );
      return report.damage === 0 ? EXIT_OK : EXIT_FAILED;
    } finally {
      release?.();
    }
  },
};

class Report {
  chunks = 0;
  records = 0;
  damage = 0;
  notes = 0;

  problem(where: string, text: string): void {
    this.damage++;
    console.log(`DAMAGE ${where}: ${text}`);
  }

  note(where: string, text: string): void {
    this.notes++;
    console.log(`NOTE ${where}: ${text}`);
  }
}

async function verifyLog(log: string, chunks: ChunkPaths[], report: Report, progress: Progress | null): Promise<void> {
  let expected = chunks[0]?.firstId ?? 1;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    const last = c === chunks.length - 1;
    const where = `${log}/${chunk.chunkPath.split('/').pop()}`;
    report.chunks++;
    if (!(await stat(chunk.chunkPath)).isFile()) {
      report.problem(where, 'is not a regular file (logd does not open this log; logtool repair moves it aside)');
      continue;
    }
    if (chunk.firstId !== expected) report.problem(where, `starts at id ${chunk.firstId}, but the previous chunk ends at ${expected - 1}`);
    const positions: number[] = [];
    const scanner = new ChunkScanner(chunk.chunkPath);
    let id = chunk.firstId;
    // After a wrong id, the next record may continue either the position or the wrong id: one
    // damaged id (or one gap) is one problem, not one per record after it.
    let alternative = id;
    let reported = 0;
    for await (const frame of scanner.frames()) {
      const expectedId = frame.id === alternative ? alternative : id;
      if (frame.id !== expectedId) report.problem(where, `record at byte ${frame.pos} has id ${frame.id}, expected ${id}`);
      else if (!frame.crcOk) report.problem(where, `record ${frame.id} at byte ${frame.pos} fails its CRC check`);
      positions.push(frame.pos);
      id = expectedId + 1;
      alternative = frame.id + 1;
      progress?.add(scanner.bytesRead - reported);
      reported = scanner.bytesRead;
    }
    progress?.add((await fileSize(chunk.chunkPath)) - reported);
    report.records += positions.length;
    const end = scanner.end;
    // A sealed chunk holding all its records, then junk, is cut on open; so is the torn tail of
    // the last chunk. Anything else unreadable hides records.
    const complete = !last && chunk.firstId + positions.length === chunks[c + 1]!.firstId;
    if (end.kind === 'torn' && last) report.note(where, `tail of ${end.bytes} bytes at byte ${end.pos} is ${end.reason}: recovery truncates it`);
    else if (end.kind !== 'eof' && complete) report.note(where, `${end.reason} after the last record, at byte ${end.pos}: cut on open`);
    else if (end.kind !== 'eof') report.problem(where, `${end.reason} at byte ${end.pos}; the rest of the chunk is unreadable`);
    await verifyIndex(where, chunk, positions, report);
    expected = chunk.firstId + positions.length;
  }
}

async function verifyIndex(where: string, chunk: ChunkPaths, positions: number[], report: Report): Promise<void> {
  const index = await readIndex(chunk.indexPath);
  if (!index) {
    if (positions.length > 0) report.note(where, 'index file missing: rebuilt on open');
    return;
  }
  const { entries, extraBytes } = index;
  const checked = Math.min(entries.length, positions.length);
  for (let i = 0; i < checked; i++) {
    if (entries[i] !== positions[i]) {
      report.note(
        where,
        `index entry ${i} (id ${chunk.firstId + i}) points at byte ${entries[i]}, the record is at ${positions[i]}: logd rebuilds the index from the chunk when a read meets it`,
      );
      return;
    }
  }
  if (entries.length < positions.length) report.note(where, `index lacks its last ${positions.length - entries.length} entries: rebuilt on open`);
  if (entries.length > positions.length) report.note(where, `index has ${entries.length - positions.length} entries past the last record: cut on open`);
  if (extraBytes > 0) report.note(where, `index ends with a partial entry of ${extraBytes} bytes: cut on open`);
}
