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

try {
  const node = await startLogd(options, stderrLogger);
  const stop = (signal: string) => {
    stderrLogger(`received ${signal}`);
    void node.close();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await node.stopped;
  process.exit(0);
} catch (err) {
  process.stderr.write(`logd: ${(err as Error).message}\n`);
  process.exit(1);
}
