// logtool: logd from the shell. `logtool <subcommand> ...`; exit codes in cli.ts.
import { logdVersion } from '../../src/version.ts';
import { failure, parse, EXIT_OK, EXIT_USAGE, UsageError, type Subcommand } from './cli.ts';
import { checkpoint } from './commands/checkpoint.ts';
import { consumers } from './commands/consumers.ts';
import { dump } from './commands/dump.ts';
import { accept, refuse } from './commands/failover.ts';
import { head } from './commands/head.ts';
import { importFile } from './commands/import.ts';
import { logs } from './commands/logs.ts';
import { read } from './commands/read.ts';
import { refillCommand } from './commands/refill.ts';
import { repair } from './commands/repair.ts';
import { stats } from './commands/stats.ts';
import { verify } from './commands/verify.ts';
import { wait } from './commands/wait.ts';
import { write } from './commands/write.ts';

const SUBCOMMANDS: Record<string, Subcommand> = {
  write,
  read,
  wait,
  head,
  logs,
  stats,
  checkpoint,
  refuse,
  accept,
  consumers,
  verify,
  dump,
  import: importFile,
  repair,
  refill: refillCommand,
};

const HELP = `Usage: logtool <subcommand> [arguments] [options]

Talks to a logd server (default 127.0.0.1:1774), or reads a data directory offline.

Subcommands:
${Object.entries(SUBCOMMANDS)
  .map(([n, c]) => `  ${n.padEnd(11)} ${c.summary}${c.network ? '' : ' (offline)'}`)
  .join('\n')}

"logtool <subcommand> --help" tells more; "logtool --version" prints the version.
Exit codes: 0 ok; 1 not found, timeout, damage found, or refused by the server;
            2 usage; 3 connection failed, lost or refused (auth, busy).
`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (verb === '--version') {
    process.stdout.write(`logtool ${logdVersion()}\n`);
    return EXIT_OK;
  }
  const cmd = verb === undefined ? undefined : SUBCOMMANDS[verb];
  if (!cmd) {
    process.stderr.write(verb === undefined ? HELP : `logtool: unknown subcommand ${JSON.stringify(verb)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  try {
    const { positionals, values } = parse(cmd, rest);
    if (values.help) {
      process.stdout.write(`Usage: logtool ${cmd.usage}\n`);
      return EXIT_OK;
    }
    return await cmd.run(positionals, values);
  } catch (err) {
    const { code, message } = failure(err);
    process.stderr.write(`logtool ${verb}: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(`Usage: logtool ${cmd.usage.split('\n')[0]}\n`);
    return code;
  }
}

// `logtool read ... | head` closes our stdout early: that is an ordinary end, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_OK);
});
process.exitCode = await main(process.argv.slice(2));
