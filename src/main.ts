// The logd command line: parse flags, start the node, stop gracefully on SIGTERM/SIGINT/SHUTDOWN.
import { stderrLogger } from './logger.ts';
import { HELP, parseOptions, type ServerOptions } from './options.ts';
import { startLogd } from './server.ts';
import { logdVersion } from './version.ts';

let options: ServerOptions | 'help' | 'version';
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`logd: ${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (options === 'help' || options === 'version') {
  process.stdout.write(options === 'help' ? HELP : `logd ${logdVersion()}\n`);
  process.exit(0);
}

// The handlers go in before the node starts: a signal that comes between the `listening` line and
// startLogd's return (a supervisor that stops what it just saw start) still stops it gracefully.
let node: Awaited<ReturnType<typeof startLogd>> | null = null;
let stopAsked = false;
const stop = (signal: string) => {
  stderrLogger(`received ${signal}`);
  stopAsked = true;
  if (node) void node.close();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  node = await startLogd(options, stderrLogger);
  if (stopAsked) void node.close();
  await node.stopped;
  process.exit(0);
} catch (err) {
  process.stderr.write(`logd: ${(err as Error).message}\n`);
  process.exit(1);
}
