// What every logtool subcommand shares: its shape, the connection flags, argument checks and
// the exit codes scripts rely on.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LogdError } from '../../protocol/errors.ts';
import { isValidName } from '../../protocol/names.ts';
import { tlsOptions, TLS_HELP } from '../tls-options.ts';
import { connect, ConnectionError, DEFAULT_HOST, DEFAULT_PORT, type Client } from '../../src/client/index.ts';
import { parsePort, UsageError } from '../../src/arguments.ts';

/** Exit codes. */
export const EXIT_OK = 0;
/** Not found (no such log, records gone), a timeout, damage found, or another server refusal. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Cannot connect, connection lost, authentication refused, server busy. */
export const EXIT_CONNECTION = 3;

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Subcommand {
  /** One line for the command list. */
  summary: string;
  /** The full --help text after the usage line's "logtool ". */
  usage: string;
  /** False for the offline commands (no --host/--port). */
  network: boolean;
  options: Options;
  run(positionals: string[], values: Values): Promise<number>;
}

export { UsageError } from '../../src/arguments.ts';

/** The wait was longer than its --timeout. */
export class TimeoutError extends Error {}

/** What the arguments name does not exist (a data directory, a log in it). */
export class NotFoundError extends Error {}

/** `list()`'s result; a missing directory (ENOENT) becomes a NotFoundError saying `missing`. */
export function listOrNotFound<T>(list: () => T, missing: string): T {
  try {
    return list();
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new NotFoundError(missing) : err;
  }
}

export const NETWORK_OPTIONS: Options = {
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
};

export const NETWORK_HELP = `Connection: --host HOST (default ${DEFAULT_HOST}), --port PORT (default ${DEFAULT_PORT}),
            --token TOKEN (default: $LOGD_TOKEN) for a server started with --token-file,
            ${TLS_HELP} for a server started with --tls-cert.`;

export function parse(cmd: Subcommand, argv: string[]): { positionals: string[]; values: Values } {
  const options: Options = { help: { type: 'boolean', short: 'h' }, ...(cmd.network ? NETWORK_OPTIONS : {}), ...cmd.options };
  try {
    const { positionals, values } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { positionals, values: values as Values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function withClient<T>(values: Values, work: (client: Client) => Promise<T>): Promise<T> {
  const token = (values.token as string | undefined) ?? process.env.LOGD_TOKEN;
  const client = await connect({
    host: (values.host as string | undefined) ?? DEFAULT_HOST,
    port: values.port === undefined ? DEFAULT_PORT : parsePort(String(values.port), '--port', 'connect'),
    ...(token ? { token } : {}),
    tls: tlsOptions(values.tls as boolean | undefined, values['tls-ca'] as string | undefined),
  });
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

/** A non-negative integer argument. */
export function integer(value: string | boolean | undefined, what: string): number {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} must be a non-negative integer, not ${JSON.stringify(value)}`);
  return n;
}

export function name(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  if (!isValidName(value)) throw new UsageError(`bad ${what} ${JSON.stringify(value)}`);
  return value;
}

/** Positionals known to hold at least N arguments (N up to 3). */
type AtLeast<N extends number> = N extends 3
  ? [string, string, string, ...string[]]
  : N extends 2
    ? [string, string, ...string[]]
    : N extends 1
      ? [string, ...string[]]
      : string[];

export function arity<N extends 0 | 1 | 2 | 3>(positionals: string[], min: N, max: number): asserts positionals is AtLeast<N> {
  if (positionals.length < min) throw new UsageError('missing arguments');
  if (positionals.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[max])}`);
}

/** The exit code and message for an error a subcommand ended with. */
export function failure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT_USAGE, message: err.message };
  if (err instanceof ConnectionError) return { code: EXIT_CONNECTION, message: err.message };
  if (err instanceof TimeoutError || err instanceof NotFoundError) return { code: EXIT_FAILED, message: err.message };
  if (err instanceof LogdError) {
    const message = `server: ${err.message}`;
    if (err.code === 'syntax') return { code: EXIT_USAGE, message };
    if (err.code === 'auth' || err.code === 'busy') return { code: EXIT_CONNECTION, message };
    return { code: EXIT_FAILED, message };
  }
  const e = err as NodeJS.ErrnoException;
  return { code: EXIT_FAILED, message: e?.message ?? String(err) };
}
