// Everything a command handler may use. The loop owns log state: a log changes only through
// `logs` (loop/logs.ts), whether the change comes from a handler (writes and TRIM on the log
// forWrite gives, REFUSE/ACCEPT) or from replication and retention, which reach it as their
// LogAccess (src/log-access.ts: replicated frames, a replica's restart at a later first id,
// retention's trims) and never import storage.
import type { Logger } from '../logger.ts';
import type { ServerOptions } from '../options.ts';
import type { ReplicationState } from '../replication/state.ts';
import type { Store } from '../storage/store.ts';
import type { Appender } from './appender.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import type { LogDirectory } from './logs.ts';
import type { Stats } from './stats.ts';

export interface LoopContext {
  readonly options: ServerOptions;
  /** For what is not log state: consumer checkpoints, the names and damage of logs, fsync counts. */
  readonly store: Store;
  /** The one path by which logs are found, created and changed. */
  readonly logs: LogDirectory;
  /** Replica states, follower acknowledgements and replication counters (LOGS, STATS, retention). */
  readonly replication: ReplicationState;
  readonly stats: Stats;
  readonly appender: Appender;
  readonly logger: Logger;
  /** SHA-256 of the AUTH token, or null when no token is required. */
  readonly tokenDigest: Buffer | null;
  /** Slows down the answers to wrong tokens. */
  readonly authThrottle: AuthThrottle;
  /** Number of open client connections (for STATS). */
  connections(): number;
  /** Starts a graceful shutdown (SHUTDOWN). */
  shutdown(): void;
}
