// A batch: the records of one append call, waiting for the round that writes them. Either
// payloads to frame (a client's MSG/APPEND) or frames stored as they are (a replica's copy).
import { frameLength } from '../../protocol/frame.ts';
import type { RecordPayload } from '../../protocol/pieces.ts';

export interface Ids {
  first: number;
  last: number;
}

interface Pending {
  count: number;
  /** All or none after a crash (APPEND, replicated frames); false for several independent MSGs. */
  atomic: boolean;
  /** The id of its first record: given by the round (payloads) or carried by the frames. */
  firstId: number;
  resolve(ids: Ids): void;
  reject(err: unknown): void;
}

export interface PayloadBatch extends Pending {
  kind: 'payloads';
  payloads: readonly RecordPayload[];
  /** Store only if the log's next id is this when the round takes the batch; 0: always. */
  expect: number;
}

export interface FrameBatch extends Pending {
  kind: 'frames';
  frames: Buffer;
  /** The timestamp of the last frame (the owner's clock). */
  lastTs: number;
}

export type Batch = PayloadBatch | FrameBatch;

/** What encoding takes from a batch (round.ts). */
export type BatchRecords = Pick<PayloadBatch, 'kind' | 'payloads' | 'firstId'> | Pick<FrameBatch, 'kind' | 'frames' | 'firstId'>;

/** The bytes the batch takes in the chunk when its records start at `firstId`, stamped `ts`. */
export function batchBytes(batch: Batch, firstId: number, ts: number): number {
  if (batch.kind === 'frames') return batch.frames.length;
  let bytes = 0;
  for (const [i, payload] of batch.payloads.entries()) bytes += frameLength(firstId + i, ts, payload.length);
  return bytes;
}

/** The id of the last record of the last batch (of a round: never empty). */
export function lastIdOf(batches: readonly Batch[]): number {
  const last = batches[batches.length - 1]!;
  return last.firstId + last.count - 1;
}

export function idsOf(batch: Batch): Ids {
  return { first: batch.firstId, last: batch.firstId + batch.count - 1 };
}
