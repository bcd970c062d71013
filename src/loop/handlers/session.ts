// Commands about the connection and the server itself: PING, AUTH, CLOSE, SHUTDOWN.
import { nodeCrypto } from '../../wire/lazy-builtins.ts';
import { LogdError } from '../../../protocol/errors.ts';
import { OK } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { refusal } from '../failure.ts';
import type { Session } from '../session.ts';

/**
 * Compares digests in constant time, so the reply time does not leak how much of a token matched.
 * A wrong token is counted (STATS auth_failures), answered late (auth-throttle.ts), and ends the
 * connection: nothing sent after it runs, and the slot is free again after the answer.
 */
export function handleAuth(ctx: LoopContext, session: Session, token: string): void {
  if (ctx.tokenDigest) {
    const crypto = nodeCrypto();
    const digest = crypto.createHash('sha256').update(token).digest();
    if (!crypto.timingSafeEqual(digest, ctx.tokenDigest)) {
      ctx.stats.authFailures++;
      const line = refusal(ctx, 'auth', 'wrong token');
      const slot = session.defer();
      session.close();
      setTimeout(() => slot.send(line), ctx.authThrottle.failed());
      return;
    }
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
