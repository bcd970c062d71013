// logtail: tail -F a file into a log. See tailer.ts (the file), shipper.ts (the server),
// state.ts (the position that survives restarts).
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LogdError } from '../../protocol/errors.ts';
import { isValidName } from '../../protocol/names.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../src/client/index.ts';
import { tlsOptions, TLS_HELP } from '../tls-options.ts';
import { logdVersion } from '../../src/version.ts';
import { EntryQueue } from './queue.ts';
import { Shipper } from './shipper.ts';
import { loadState } from './state.ts';
import { Tailer } from './tailer.ts';
import { parseCount, parseDuration, parseHostPort, parseSize, UsageError } from '../../src/arguments.ts';
import { DEFAULT_LIMITS } from '../../protocol/parser.ts';

const HELP = `Usage: logtail <file> --log NAME [options]

Follows <file> like tail -F and appends each new complete line to the log NAME (one record per
line, without its LF; lines are bytes, not necessarily UTF-8). Detects truncation (the file
shrank: read it again from 0), rotation (another inode at the path: finish the old file, then
read the new one), a missing file (wait for it to come back). Keeps its position (inode, offset,
last id) in a state file, so a restart neither resends nor skips a line; its appends are
conditional (APPEND <log>@<next-id>), so that holds even when other writers share the log. While the server is
down it reads ahead at most --buffer bytes, reconnects with backoff and resumes.

Options:
  --log NAME          the log the lines go to (required)
  --to HOST:PORT      the server (default ${DEFAULT_HOST}:${DEFAULT_PORT})
  --token TOKEN       for a server started with --token-file (default: $LOGD_TOKEN)
  --tls, --tls-ca FILE  for a server started with --tls-cert: ${TLS_HELP}
  --status-log NAME   also send status events there: opened, truncated, rotated, missing, reopened
  --interval TIME     poll the file this often, besides fs.watch (default 1000 ms; 500ms, 2s ...)
  --mtime             a changed modification time at an unchanged size means the file was
                      rewritten: read it again from 0 (only if the file's mtime changes only
                      when its data does)
  --state FILE        the state file (default: .<file name>.logtail beside the file)
  --from-end          on a first start (no state file), skip what the file already holds
  --buffer BYTES      most bytes read ahead of the server (default 16M)
  --batch N           most lines per APPEND (default 1000)
  --max-line BYTES    a longer line is cut into records of this size (default 1M, the server's --max-msg)
  --help              show this text
  --version           print the version

Runs until SIGTERM or SIGINT. While the server is unreachable, busy or out of disk it retries,
saying so in one line when the trouble starts and one when lines flow again. A refusal that
retrying cannot change ends it: exit 1 (nolog, readonly: this node does not take writes for the
log), 3 (auth: a missing or wrong token). Other exit codes: 0 stopped by a signal, 2 usage.
`;

function logName(text: string | undefined, what: string): string {
  if (text === undefined || !isValidName(text)) throw new UsageError(`${what}: not a log name: ${text ?? '(missing)'}`);
  return text;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      log: { type: 'string' },
      to: { type: 'string' },
      token: { type: 'string' },
      tls: { type: 'boolean' },
      'tls-ca': { type: 'string' },
      'status-log': { type: 'string' },
      interval: { type: 'string' },
      mtime: { type: 'boolean' },
      state: { type: 'string' },
      'from-end': { type: 'boolean' },
      buffer: { type: 'string' },
      batch: { type: 'string' },
      'max-line': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help || values.version) {
    process.stdout.write(values.help ? HELP : `logtail ${logdVersion()}\n`);
    return 0;
  }
  const [file] = positionals;
  if (file === undefined || positionals.length !== 1) throw new UsageError('expected exactly one file');
  const path = resolve(file);
  const log = logName(values.log, '--log');
  const statusLog = values['status-log'] === undefined ? null : logName(values['status-log'], '--status-log');
  const statePath = values.state ?? join(dirname(path), `.${basename(path)}.logtail`);
  const token = values.token ?? process.env.LOGD_TOKEN;
  const state = loadState(statePath);
  const queue = new EntryQueue(values.buffer === undefined ? 16 << 20 : parseSize(values.buffer, '--buffer'));

  const tailer = new Tailer({
    path,
    log,
    queue,
    intervalMs: values.interval === undefined ? 1000 : parseDuration(values.interval, '--interval'),
    mtime: values.mtime === true,
    resume: state,
    fromEnd: values['from-end'] === true,
    maxLine: values['max-line'] === undefined ? DEFAULT_LIMITS.maxMsg : parseSize(values['max-line'], '--max-line'),
    onStatus: (event, detail) => {
      process.stderr.write(`logtail: ${event} ${detail}\n`);
      if (statusLog) queue.push({ log: statusLog, payload: Buffer.from(`${event} ${detail}`), ino: null, end: 0 });
    },
    onError: (err) => process.stderr.write(`logtail: ${err.message}\n`),
  });
  const shipper = new Shipper({
    server: {
      ...(values.to === undefined ? { host: DEFAULT_HOST, port: DEFAULT_PORT } : parseHostPort(values.to, '--to', 'connect')),
      ...(token ? { token } : {}),
      tls: tlsOptions(values.tls, values['tls-ca']),
    },
    log,
    queue,
    statePath,
    state,
    batchRecords: values.batch === undefined ? 1000 : parseCount(values.batch, '--batch', 1),
    batchBytes: 1 << 20,
    onProgress: () => tailer.poke(),
    onNotice: (line) => process.stderr.write(`logtail: ${line}\n`),
  });

  const stopped = new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // A refusal that retrying cannot change (nolog, readonly, auth, ...) ends logtail.
  let refusal: LogdError | null = null;
  const shipping = shipper.run().catch((err: LogdError) => {
    refusal = err;
  });
  await tailer.start();
  await Promise.race([stopped, shipping]);
  // What was not acknowledged is re-read from the file at the next start (the state's offset).
  shipper.stop();
  await tailer.stop();
  await shipping;
  if (!refusal) return 0;
  const { code, message } = refusal as LogdError;
  process.stderr.write(`logtail: the server refuses the lines for good (${message}); stopping\n`);
  return code === 'auth' ? 3 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`logtail: ${(err as Error).message}\n${usage ? 'Try logtail --help\n' : ''}`);
  process.exitCode = usage ? 2 : 1;
}
