import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { arity, integer, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';
import { appendAll } from '../append-all.ts';
import { lengthPrefixed, lines } from '../records-in.ts';
import { Progress } from '../../progress.ts';

export const importFile: Subcommand = {
  summary: 'bulk load a file into a log, one record per line',
  usage: `import <log> <file> [--length-prefixed] [--batch N] [--quiet]

Appends the file's lines (one record per line; the LF is not part of it) in APPEND batches of
--batch records (default 1000, at most 1 MiB each), several in flight. With --length-prefixed
the file holds binary records, each a 4-byte big-endian length then its bytes. Prints
"<count> <first-id> <last-id>". Progress on stderr unless --quiet.
${NETWORK_HELP}`,
  network: true,
  options: {
    'length-prefixed': { type: 'boolean' },
    batch: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(positionals, values) {
    arity(positionals, 2, 2);
    const log = name(positionals[0], 'log name');
    const file = positionals[1];
    const batchRecords = values.batch === undefined ? 1000 : Math.max(1, integer(values.batch, '--batch'));
    const size = (await stat(file)).size;
    const progress = values.quiet ? null : new Progress({ label: `import ${log}`, total: size, unit: 'bytes' });
    const split = values['length-prefixed'] ? lengthPrefixed : lines;
    const prefix = values['length-prefixed'] ? 4 : 1;
    const result = await withClient(values, (client) =>
      appendAll(client, log, split(createReadStream(file)), {
        batchRecords,
        onBatch: (records, bytes) => progress?.add(bytes + records * prefix),
      }),
    );
    progress?.finish();
    console.log(`${result.count} ${result.first} ${result.last}`);
    return EXIT_OK;
  },
};
