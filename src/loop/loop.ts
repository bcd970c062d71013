// The command loop: every connection hands its parsed commands here, in order, and one handler
// per command runs them. Node runs them one at a time on its single thread; appends are queued
// per log in arrival order (Appender, then the storage group commit).
import type { Command } from '../../protocol/commands.ts';
import { LogdError, type ErrorCode } from '../../protocol/errors.ts';
import { OK, PONG, helloLine } from '../../protocol/replies.ts';
import type { LoopContext } from './context.ts';
import { errorReply, refusal, requireAccess } from './failure.ts';
import { handleCheckpoint, handleConsumers } from './handlers/checkpoint.ts';
import { handleAccept, handleRefuse } from './handlers/failover.ts';
import { handleLogs, handleStats } from './handlers/info.ts';
import { handleHead, handleRead, handleSeek } from './handlers/read.ts';
import { handleReplicate } from './handlers/replicate.ts';
import { handleAuth, handleClose, handleShutdown } from './handlers/session.ts';
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.ts';
import { handleTrim } from './handlers/trim.ts';
import { handleWait } from './handlers/wait.ts';
import { handleWrite } from './handlers/write.ts';
import type { Session } from './session.ts';

export class Loop {
  constructor(readonly ctx: LoopContext) {}

  /** The counted ERR line of an error a connection answers itself (the parser's, `busy`). */
  errorLine(code: ErrorCode, text: string): string {
    return refusal(this.ctx, code, text);
  }

  /** A client disconnected for not taking its output. */
  slowConsumer(remote: string, reason: string): void {
    this.ctx.stats.slowConsumers++;
    this.ctx.logger(`disconnected ${remote}: ${reason}`);
  }

  /** A connection was admitted. */
  accepted(): void {
    this.ctx.stats.connectionsTotal++;
  }

  /** A TLS handshake failed. */
  tlsFailed(): void {
    this.ctx.stats.tlsFailures++;
  }

  dispatch(session: Session, cmd: Command): void {
    const ctx = this.ctx;
    ctx.stats.command(cmd.verb);
    try {
      requireAccess(ctx, session.authed, cmd.verb);
      switch (cmd.verb) {
        case 'PING':
          return session.reply(PONG);
        case 'HELLO':
          return session.reply(helloLine(ctx.options.id));
        case 'MSG':
          return handleWrite(ctx, session, cmd.log, cmd.payload, cmd.expect);
        case 'APPEND':
          return handleWrite(ctx, session, cmd.log, cmd.payloads, cmd.expect);
        case 'HEAD':
          return handleHead(ctx, session, cmd.log);
        case 'READ':
          return handleRead(ctx, session, cmd);
        case 'SUBSCRIBE':
          return handleSubscribe(ctx, session, cmd.logs);
        case 'UNSUBSCRIBE':
          return handleUnsubscribe(session, cmd.logs);
        case 'LOGS':
          return handleLogs(ctx, session);
        case 'STATS':
          return handleStats(ctx, session);
        case 'CHECKPOINT':
          return handleCheckpoint(ctx, session, cmd);
        case 'CONSUMERS':
          return handleConsumers(ctx, session, cmd.log);
        case 'SEEK':
          return handleSeek(ctx, session, cmd.log, cmd.time);
        case 'TRIM':
          return handleTrim(ctx, session, cmd.log, cmd.before);
        case 'AUTH':
          return handleAuth(ctx, session, cmd.token);
        case 'CLOSE':
          return handleClose(session);
        case 'SHUTDOWN':
          return handleShutdown(ctx, session);
        case 'STOP':
          return session.reply(OK); // the connection ended the streams sent before it when it arrived
        case 'REPLICATE':
          return handleReplicate(ctx, session, cmd);
        case 'WAIT':
          return handleWait(ctx, session, cmd);
        case 'ACK':
          throw new LogdError('syntax', 'ACK is only accepted during REPLICATE'); // the connection routes it to the stream
        case 'REFUSE':
          return handleRefuse(ctx, session, cmd.log);
        case 'ACCEPT':
          return handleAccept(ctx, session, cmd.log);
      }
    } catch (err) {
      session.reply(errorReply(ctx, err));
    }
  }
}
