import { arity, integer, name, withClient, EXIT_OK, NETWORK_HELP, UsageError, type Subcommand, type Values } from '../cli.ts';
import { encodeRecord, format, FORMAT_HELP, BatchedWriter } from '../output.ts';
import { parseDuration } from '../../../src/arguments.ts';
import { OutageNotice } from '../../outage.ts';
import { Progress } from '../../progress.ts';
import type { Client, LogRecord } from '../../../src/client/index.ts';

export const read: Subcommand = {
  summary: 'print records of a log',
  usage: `read <log> [--from ID|$ | --since AGE|TIME] [--limit N] [--follow] [--format text|json|raw] [--quiet]

Prints the records from --from (default 1) up to the current head, or with --follow, live and
forever (reconnecting when the connection drops; --from $ means only new records). --since
starts at the first record stamped at or after a time: an age back from now (90s, 10m, 2h, 7d)
or an ISO 8601 time (2026-12-01T10:00:00Z, milliseconds and offset optional). --limit N
stops after N records. Exit 1 when the server does not hold the log or the records were trimmed.
When stdout is not a terminal (a file, a pipe), progress goes to stderr unless --quiet.
${FORMAT_HELP}
${NETWORK_HELP}`,
  network: true,
  options: {
    from: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    format: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(positionals, values) {
    arity(positionals, 1, 1);
    const log = name(positionals[0], 'log name');
    if (values.from !== undefined && values.since !== undefined) throw new UsageError('--from and --since exclude each other');
    const since = values.since === undefined ? null : sinceTime(values.since);
    const limit = values.limit === undefined ? 0 : integer(values.limit, '--limit');
    const fmt = format(values.format);
    const out = new BatchedWriter();
    await withClient(values, async (client) => {
      const from = since === null ? start(values.from) : await client.seek(log, since);
      const progress =
        values.quiet || process.stdout.isTTY ? null : new Progress({ label: `read ${log}`, total: await total(client, values, log, from, limit) });
      let count = 0;
      for await (const record of records(client, values, log, from, limit)) {
        await out.write(encodeRecord(fmt, record));
        progress?.add(1);
        if (++count === limit) break;
      }
      await out.end();
      progress?.finish();
    });
    return EXIT_OK;
  },
};

function start(value: string | boolean | undefined): number | '$' {
  if (value === undefined) return 1;
  if (value === '$') return '$';
  const id = integer(value, '--from');
  if (id < 1) throw new UsageError('--from must be at least 1 (or $)');
  return id;
}

/** --since: `10m`-style ages back from now, or an ISO 8601 time (which the server parses). */
function sinceTime(value: string | boolean): number | string {
  if (typeof value !== 'string') throw new UsageError('--since needs a value');
  if (/^\d+(ms|s|m|h|d)$/.test(value)) return Date.now() - parseDuration(value, '--since', 0);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new UsageError(`--since: expected an age (10m, 2h) or an ISO 8601 time, got ${value}`);
  return value;
}

function records(client: Client, values: Values, log: string, from: number | '$', limit: number): AsyncIterable<LogRecord> {
  if (!values.follow) return client.read(log, from, { limit });
  const outage = new OutageNotice((line) => process.stderr.write(`logtool: ${line}\n`));
  return (async function* () {
    for await (const record of client.follow(log, from, { onRetry: (err) => outage.failed(err) })) {
      outage.succeeded('following');
      yield record;
    }
  })();
}

/** How many records a bounded read will print, for the progress report. */
async function total(client: Client, values: Values, log: string, from: number | '$', limit: number): Promise<number | undefined> {
  if (values.follow || from === '$') return limit || undefined;
  const available = Math.max(0, (await client.head(log)) - from + 1);
  return limit > 0 ? Math.min(limit, available) : available;
}
