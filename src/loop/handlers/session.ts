// Commands about the connection and the server itself: PING, AUTH, CLOSE, SHUTDOWN.
import { createHash, timingSafeEqual } from 'node:crypto';
import { LogdError } from '../../../protocol/errors.ts';
import { OK, errLine } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import type { Session } from '../session.ts';

/**
 * Compares digests in constant time, so the reply time does not leak how much of a token matched.
 * A wrong token is counted (STATS auth_failures) and answered late (auth-throttle.ts).
 */
export function handleAuth(ctx: LoopContext, session: Session, token: string): void {
  if (ctx.tokenDigest) {
    const digest = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(digest, ctx.tokenDigest)) {
      ctx.stats.authFailures++;
      ctx.stats.error('auth');
      const slot = session.defer();
      setTimeout(() => slot.send(errLine('auth', 'wrong token')), ctx.authThrottle.failed(session));
      return;
    }
    ctx.authThrottle.succeeded(session);
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
  session.reply(OK);
  session.close();
  ctx.shutdown();
}
