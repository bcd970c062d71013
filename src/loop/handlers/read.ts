// READ <log> <start> [<limit>] [NOWAIT] and HEAD <log>.
import { okId } from '../../../protocol/replies.ts';
import type { Command } from '../../../protocol/commands.ts';
import type { LoopContext } from '../context.ts';
import { ReadStream } from '../read-stream.ts';
import type { Session } from '../session.ts';

type Read = Extract<Command, { verb: 'READ' }>;

export function handleRead(ctx: LoopContext, session: Session, cmd: Read): void {
  ctx.logs.forRead(cmd.log);
  const stats = ctx.stats;
  session.stream(
    new ReadStream(ctx, cmd.log, cmd.start, cmd.limit, cmd.nowait, (records, bytes) => {
      stats.recordsOut += records;
      stats.bytesOut += bytes;
    }),
  );
}

export function handleHead(ctx: LoopContext, session: Session, log: string): void {
  ctx.logs.forRead(log);
  session.reply(okId(ctx.logs.head(log)));
}
