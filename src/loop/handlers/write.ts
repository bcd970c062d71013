// MSG and APPEND: append to an owned log; the reply carries the ids once the records are durable.
import { okId, okRange } from '../../../protocol/replies.ts';
import type { AppendDone } from '../appender.ts';
import type { LoopContext } from '../context.ts';
import { errorReply, requireAuth } from '../failure.ts';
import type { Session } from '../session.ts';

export function handleWrite(ctx: LoopContext, session: Session, name: string, payloads: Buffer | Buffer[]): void {
  requireAuth(ctx, session.authed);
  const log = ctx.logs.forWrite(name);
  const slot = session.defer();
  const single = !Array.isArray(payloads);
  const done: AppendDone = (err, first, last) =>
    slot.send(err ? errorReply(ctx, err) : single ? okId(first) : okRange(first, last));
  if (log instanceof Promise) {
    log.then(
      (created) => ctx.appender.add(created, payloads, done),
      (err: unknown) => done(err, 0, 0),
    );
  } else {
    ctx.appender.add(log, payloads, done);
  }
}
