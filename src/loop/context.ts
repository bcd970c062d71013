// Everything a command handler may use. Handlers are the only code that changes log state.
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
  readonly store: Store;
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
