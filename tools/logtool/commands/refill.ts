import { arity, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';
import { parseSize } from '../../../src/arguments.ts';
import { refill } from '../refill.ts';
import { DEFAULT_CHUNK_BYTES } from '../../../src/storage/chunk.ts';

export const refillCommand: Subcommand = {
  summary: "append to a stopped node's log the records a replica holds past its head",
  usage: `refill <dir> <log> [--chunk-bytes N]

After logtool repair, or for any log a replica holds further than this node: reads the records
after the local head from the server given by --host/--port (a node holding a replica of
<log>) and appends them verbatim (same ids, timestamps and CRCs) to <log> in the data directory
<dir>, whose server must be stopped. First checks that the replica's record at the local head
has the same timestamp and CRC (the same history), and refuses otherwise; every appended record
must match its CRC and continue the ids. Prints "<count> <first-id> <last-id>".
--chunk-bytes: the node's --chunk-bytes (default ${DEFAULT_CHUNK_BYTES >> 20}M; K, M, G suffixes as for logd).
${NETWORK_HELP}`,
  network: true,
  options: {
    'chunk-bytes': { type: 'string' },
  },
  async run(positionals, values) {
    arity(positionals, 2, 2);
    const [dir] = positionals;
    const log = name(positionals[1], 'log name');
    const chunkBytes = parseSize((values['chunk-bytes'] as string | undefined) ?? String(DEFAULT_CHUNK_BYTES), '--chunk-bytes');
    const result = await withClient(values, (client) => refill(dir, log, client, chunkBytes));
    console.log(`${result.count} ${result.first} ${result.last}`);
    return EXIT_OK;
  },
};
