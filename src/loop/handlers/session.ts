// Commands about the connection and the server itself: PING, AUTH, CLOSE, SHUTDOWN.
import { createHash, timingSafeEqual } from 'node:crypto';
import { LogdError } from '../../../protocol/errors.ts';
import { OK } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { requireAuth } from '../failure.ts';
import type { Session } from '../session.ts';

/** Compares digests in constant time, so the reply time does not leak how much of a token matched. */
export function handleAuth(ctx: LoopContext, session: Session, token: string): void {
  if (ctx.tokenDigest) {
    const digest = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(digest, ctx.tokenDigest)) throw new LogdError('auth', 'wrong token');
  }
  session.authed = true;
  session.reply(OK);
}

export function handleClose(session: Session): void {
  session.reply(OK);
  session.close();
}

export function handleShutdown(ctx: LoopContext, session: Session): void {
  if (!ctx.options.allowShutdown) throw new LogdError('denied', 'SHUTDOWN needs --allow-shutdown');
  requireAuth(ctx, session.authed);
  session.reply(OK);
  session.close();
  ctx.shutdown();
}
