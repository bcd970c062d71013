import { arity, integer, name, withClient, EXIT_OK, NETWORK_HELP, TimeoutError, type Subcommand } from '../cli.ts';

export const wait: Subcommand = {
  summary: "block until a log's head reaches an id",
  usage: `wait <log> <id> [--timeout MS]

Blocks until the log holds record <id> (its head is at least <id>), then prints the head.
Exit 1 when --timeout milliseconds pass first.
${NETWORK_HELP}`,
  network: true,
  options: { timeout: { type: 'string' } },
  async run(positionals, values) {
    arity(positionals, 2, 2);
    const log = name(positionals[0], 'log name');
    const id = integer(positionals[1], 'id');
    const timeoutMs = values.timeout === undefined ? undefined : integer(values.timeout, '--timeout');
    const head = await withClient(values, async (client) => {
      const sub = await client.subscribe([log]);
      const known = sub.heads.get(log) ?? 0;
      if (known >= id) return known;
      return new Promise<number>((resolve, reject) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new TimeoutError(`timed out: ${log} has not reached ${id}`)), timeoutMs);
        sub.on('head', (_log, h) => {
          if (h < id) return;
          clearTimeout(timer);
          resolve(h);
        });
        sub.on('close', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    });
    console.log(head);
    return EXIT_OK;
  },
};
