// A batch: the records of one append call, waiting for the round that writes them. Either
// payloads to frame (a client's MSG/APPEND) or frames stored as they are (a replica's copy).
import { decimalLength, decimalLengthOfRange, frameLength } from '../../protocol/frame.ts';
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
  // frameLength of each record, added up: the parts every frame has, then the ids, then the payloads.
  const { payloads } = batch;
  let bytes = payloads.length * (frameLength(0, ts, 0) - 1) + decimalLengthOfRange(firstId, payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    const len = payloads[i]!.length;
    bytes += len + decimalLength(len) - 1;
  }
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
