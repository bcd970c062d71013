// Turns any error into its `ERR <code> <text>` line, counting it; unexpected errors are logged.
import { LogdError, errorCodeOf } from '../../protocol/errors.ts';
import { errLine } from '../../protocol/replies.ts';
import type { LoopContext } from './context.ts';

export function errorReply(ctx: LoopContext, err: unknown): string {
  const code = errorCodeOf(err);
  ctx.stats.error(code);
  if (err instanceof LogdError) return errLine(code, err.message);
  ctx.logger(`error: ${(err as Error)?.stack ?? String(err)}`);
  if (code === 'full') return errLine(code, 'disk full');
  return errLine(code, (err as Error)?.message ?? String(err));
}

/** Throws `ERR auth` when the server wants a token and this session has not given it. */
export function requireAuth(ctx: LoopContext, authed: boolean): void {
  if (ctx.tokenDigest && !authed) throw new LogdError('auth', 'AUTH required');
}
