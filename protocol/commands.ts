// The commands a client can send, as the parser hands them to the server loop.
// Ids are plain numbers (safe integers); `start: '$'` in READ means "after the current head",
// `start: { consumer }` after that consumer's checkpoint. `expect` (MSG, APPEND: `<log>@<next-id>`)
// makes an append conditional on the log's next id; absent, the append is unconditional.
import type { RecordStamp } from './frame.ts';
import type { RecordPayload } from './pieces.ts';

export type Command =
  | { verb: 'PING' }
  | { verb: 'MSG'; log: string; payload: RecordPayload; expect?: number }
  | { verb: 'APPEND'; log: string; payloads: Buffer[]; expect?: number }
  | { verb: 'HEAD'; log: string }
  /** `waitMs`: WAIT <ms>, end with END after at most that long. */
  | { verb: 'READ'; log: string; start: number | '$' | { consumer: string }; limit: number; nowait: boolean; waitMs?: number }
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
  /** `reset`: the position may move backwards. */
  | { verb: 'CHECKPOINT'; consumer: string; log: string; id: number | null; reset?: boolean }
  | { verb: 'CONSUMERS'; log: string | null }
  /** `time`: ms since the epoch. */
  | { verb: 'SEEK'; log: string; time: number }
  | { verb: 'TRIM'; log: string; before: number }
  | { verb: 'REFUSE'; log: string }
  | { verb: 'ACCEPT'; log: string }
  | { verb: 'AUTH'; token: string }
  | { verb: 'CLOSE' }
  | { verb: 'SHUTDOWN' };

export type Verb = Command['verb'];

export const VERBS: readonly Verb[] = [
  'PING',
  'MSG',
  'APPEND',
  'HEAD',
  'READ',
  'STOP',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'REPLICATE',
  'ACK',
  'HELLO',
  'WAIT',
  'LOGS',
  'STATS',
  'CHECKPOINT',
  'CONSUMERS',
  'SEEK',
  'TRIM',
  'REFUSE',
  'ACCEPT',
  'AUTH',
  'CLOSE',
  'SHUTDOWN',
];
