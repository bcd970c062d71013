// Turns any error into its `ERR <code> <text>` line, counting it; unexpected errors are logged.
// And who may run what: the AUTH rule of every verb.
import type { Verb } from '../../protocol/commands.ts';
import { LogdError, errorCodeOf, type ErrorCode } from '../../protocol/errors.ts';
import { errLine } from '../../protocol/replies.ts';
import type { LoopContext } from './context.ts';

/** The `ERR <code> <text>` line of a refusal, counted in STATS `err.<code>`: every ERR the loop sends. */
export function refusal(ctx: LoopContext, code: ErrorCode, text: string): string {
  ctx.stats.error(code);
  return errLine(code, text);
}

export function errorReply(ctx: LoopContext, err: unknown): string {
  const code = errorCodeOf(err);
  if (err instanceof LogdError) return refusal(ctx, code, err.message);
  // An I/O failure (ENOSPC, EIO) is one line; a stack trace only for what is a bug.
  const ioFailure = typeof (err as NodeJS.ErrnoException)?.code === 'string';
  ctx.logger(`error: ${ioFailure ? (err as Error).message : ((err as Error)?.stack ?? String(err))}`);
  return refusal(ctx, code, code === 'full' ? 'disk full' : ((err as Error)?.message ?? String(err)));
}

/** A stream's read of `log` failed: `ERR gone <first-id>` when it asked below the first retained id. */
export function readFailure(ctx: LoopContext, log: string, err: unknown): string {
  return err instanceof LogdError && err.code === 'gone' ? refusal(ctx, 'gone', String(ctx.logs.first(log))) : errorReply(ctx, err);
}

/**
 * With --token-file, what each verb needs: `open` never needs AUTH (the connection itself),
 * `read` needs it unless --public-read, `auth` always. A Record, so a new verb cannot be forgotten.
 */
const ACCESS: Readonly<Record<Verb, 'open' | 'read' | 'auth'>> = {
  PING: 'open',
  AUTH: 'open',
  CLOSE: 'open',
  STOP: 'open',
  HEAD: 'read',
  READ: 'read',
  SUBSCRIBE: 'read',
  UNSUBSCRIBE: 'read',
  LOGS: 'read',
  HELLO: 'read',
  STATS: 'read',
  CONSUMERS: 'read',
  SEEK: 'read',
  MSG: 'auth',
  APPEND: 'auth',
  CHECKPOINT: 'auth',
  TRIM: 'auth',
  REPLICATE: 'auth',
  ACK: 'auth',
  WAIT: 'auth',
  REFUSE: 'auth',
  ACCEPT: 'auth',
  SHUTDOWN: 'auth',
};

/** Throws `ERR auth` when the server wants a token for this verb and the session has not given it. */
export function requireAccess(ctx: LoopContext, authed: boolean, verb: Verb): void {
  if (!ctx.tokenDigest || authed) return;
  const rule = ACCESS[verb];
  if (rule === 'auth' || (rule === 'read' && !ctx.options.publicRead)) throw new LogdError('auth', 'AUTH required');
}
