// CHECKPOINT <consumer> <log> [<id> [RESET]]: a consumer's durable position (fsync'd before the OK),
// never past the head, never backwards unless RESET. CONSUMERS [<log>]: the stored positions.
import type { Command } from '../../../protocol/commands.ts';
import { LogdError } from '../../../protocol/errors.ts';
import { END, consumerLine, okId } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

type Checkpoint = Extract<Command, { verb: 'CHECKPOINT' }>;

export function handleCheckpoint(ctx: LoopContext, session: Session, cmd: Checkpoint): void {
  const { consumer, log, id } = cmd;
  ctx.logs.forRead(log);
  const stored = ctx.store.checkpoint(consumer, log);
  if (id === null) return session.reply(okId(stored));
  const head = ctx.logs.head(log);
  if (id > head) throw new LogdError('syntax', `checkpoint ${id} is past the head ${head} of ${log}`);
  if (id < stored && !cmd.reset)
    throw new LogdError('syntax', `checkpoint ${id} is behind ${consumer}'s checkpoint ${stored} on ${log}; add RESET to move it back`);
  const slot = session.defer();
  ctx.store.setCheckpoint(consumer, log, id).then(
    () => slot.send(okId(id)),
    (err: unknown) => slot.send(errorReply(ctx, err)),
  );
}

/** `CONSUMER <name> <log> <checkpoint> <lag>` per stored position, then END; lag = head - checkpoint. */
export function handleConsumers(ctx: LoopContext, session: Session, log: string | null): void {
  if (log !== null) ctx.logs.forRead(log);
  let reply = '';
  for (const c of ctx.store.consumers(log ?? undefined)) reply += consumerLine(c.consumer, c.log, c.id, Math.max(0, ctx.logs.head(c.log) - c.id));
  session.reply(reply + END);
}
