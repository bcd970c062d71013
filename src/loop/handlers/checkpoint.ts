// CHECKPOINT <consumer> <log> [<id>]: a consumer's durable position (fsync'd before the OK).
import { LogdError } from '../../../protocol/errors.ts';
import { isValidName } from '../../../protocol/names.ts';
import { okId } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

export function handleCheckpoint(ctx: LoopContext, session: Session, consumer: string, log: string, id: number | null): void {
  if (!isValidName(consumer)) throw new LogdError('syntax', 'bad consumer name');
  ctx.logs.forRead(log);
  if (id === null) return session.reply(okId(ctx.store.checkpoint(consumer, log)));
  const slot = session.defer();
  ctx.store.setCheckpoint(consumer, log, id).then(
    () => slot.send(okId(id)),
    (err: unknown) => slot.send(errorReply(ctx, err)),
  );
}
