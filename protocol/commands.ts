// The commands a client can send, as the parser hands them to the server loop.
// Ids are plain numbers (safe integers); `start: '$'` in READ means "after the current head".
import type { RecordStamp } from './frame.ts';
import type { RecordPayload } from './pieces.ts';

export type Command =
  | { verb: 'PING' }
  | { verb: 'MSG'; log: string; payload: RecordPayload }
  | { verb: 'APPEND'; log: string; payloads: Buffer[] }
  | { verb: 'HEAD'; log: string }
  | { verb: 'READ'; log: string; start: number | '$'; limit: number; nowait: boolean }
  | { verb: 'STOP' }
  | { verb: 'SUBSCRIBE'; logs: string[] }
  | { verb: 'UNSUBSCRIBE'; logs: string[] }
  /**
   * `resume`: the follower's record start-1 as it holds it (absent when it holds nothing);
   * `digest`: its prefix digest up to start-1 (absent when unknown).
   */
  | { verb: 'REPLICATE'; log: string; start: number; resume: RecordStamp | null; digest: number | null }
  /** Follower -> source on a REPLICATE connection: `node` has stored the log up to `id`. */
  | { verb: 'ACK'; node: string; id: number }
  /** A peer says which node it is; the reply says which node this is (self-follow detection). */
  | { verb: 'HELLO'; node: string }
  /** Until `replicas` other participants acknowledged `id` of the log (or timeoutMs passed; 0: none). */
  | { verb: 'WAIT'; log: string; id: number; replicas: number; timeoutMs: number }
  | { verb: 'LOGS' }
  | { verb: 'STATS' }
  | { verb: 'CHECKPOINT'; consumer: string; log: string; id: number | null }
  | { verb: 'TRIM'; log: string; before: number }
  | { verb: 'REFUSE'; log: string }
  | { verb: 'ACCEPT'; log: string }
  | { verb: 'AUTH'; token: string }
  | { verb: 'CLOSE' }
  | { verb: 'SHUTDOWN' };

export type Verb = Command['verb'];

export const VERBS: readonly Verb[] = [
  'PING', 'MSG', 'APPEND', 'HEAD', 'READ', 'STOP', 'SUBSCRIBE', 'UNSUBSCRIBE', 'REPLICATE',
  'ACK', 'HELLO', 'WAIT', 'LOGS', 'STATS', 'CHECKPOINT', 'TRIM', 'REFUSE', 'ACCEPT', 'AUTH', 'CLOSE', 'SHUTDOWN',
];
