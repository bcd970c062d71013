import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChunkPaths } from '../../../src/storage/chunk-names.ts';
import { chunksIn } from '../../../src/storage/listing.ts';
import { arity, integer, name, EXIT_FAILED, EXIT_OK, listOrNotFound, type Subcommand } from '../cli.ts';
import { ChunkScanner, readIndex } from '../chunk-files.ts';
import { lockShared } from '../data-lock.ts';
import { encodeRecord, format, FORMAT_HELP, BatchedWriter } from '../output.ts';

export const dump: Subcommand = {
  summary: "print a log's records from its chunk files",
  usage: `dump <dir> <log> [--from ID] [--limit N] [--format text|json|raw]

Reads the records straight from the chunk files of a data directory, from --from (default:
the first retained id), finding the start through the index. Stops at the first record that
is damaged (exit 1; run verify) or at a torn tail. Works while a server holds the directory
(with a warning): it then shows what is on disk.
${FORMAT_HELP}`,
  network: false,
  options: {
    from: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
  },
  async run(positionals, values) {
    arity(positionals, 2, 2);
    const [dir] = positionals;
    const log = name(positionals[1], 'log name');
    const from = values.from === undefined ? 1 : integer(values.from, '--from');
    const limit = values.limit === undefined ? Infinity : integer(values.limit, '--limit') || Infinity;
    const fmt = format(values.format);
    const release = lockShared(dir);
    if (!release) process.stderr.write(`logtool dump: warning: ${dir} is held by a running logd\n`);
    try {
      const chunks = listOrNotFound(() => chunksIn(join(dir, log)), `no log ${log} in ${dir}`);
      const out = new BatchedWriter();
      let count = 0;
      for (let c = firstChunk(chunks, from); c < chunks.length && count < limit; c++) {
        const chunk = chunks[c]!;
        if (!(await stat(chunk.chunkPath)).isFile()) return damaged(out, `${chunk.chunkPath} is not a regular file`);
        const scanner = new ChunkScanner(chunk.chunkPath, await startPosition(chunk, from));
        for await (const frame of scanner.frames()) {
          if (!frame.crcOk) return damaged(out, `record ${frame.id} fails its CRC check`);
          if (frame.id < from) continue;
          await out.write(fmt === 'raw' ? [frame.bytes] : encodeRecord(fmt, frame));
          if (++count >= limit) break;
        }
        if (scanner.end.kind === 'corrupt') return damaged(out, `${chunk.chunkPath}: ${scanner.end.reason} at byte ${scanner.end.pos}`);
      }
      await out.end();
      return EXIT_OK;
    } finally {
      release?.();
    }
  },
};

/** The chunk holding `from`: the last one whose first id is not above it. */
function firstChunk(chunks: ChunkPaths[], from: number): number {
  let i = 0;
  while (i + 1 < chunks.length && chunks[i + 1]!.firstId <= from) i++;
  return i;
}

/** Where record `from` starts in the chunk, by its index; 0 (scan from the start) without one. */
async function startPosition(chunk: ChunkPaths, from: number): Promise<number> {
  if (from <= chunk.firstId) return 0;
  const index = await readIndex(chunk.indexPath);
  const entries = index?.entries ?? [];
  return entries[Math.min(from - chunk.firstId, entries.length - 1)] ?? 0;
}

async function damaged(out: BatchedWriter, text: string): Promise<number> {
  await out.end();
  process.stderr.write(`logtool dump: ${text}; run logtool verify\n`);
  return EXIT_FAILED;
}
