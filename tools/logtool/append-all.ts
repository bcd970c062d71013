// Bulk loading: records grouped into APPEND batches, several batches in flight at once.
import type { Client } from '../../src/client/index.ts';

export interface AppendAllOptions {
  /** Records per APPEND at most (default 1000). */
  batchRecords?: number;
  /** Payload bytes per APPEND at most (default 1 MiB); a bigger record goes alone. */
  batchBytes?: number;
  /** APPENDs awaiting their reply at most (default 8). */
  window?: number;
  /** Told after each acknowledged batch. */
  onBatch?: (records: number, bytes: number) => void;
}

export interface AppendAllResult {
  count: number;
  /** First and last id written (0 when nothing was). */
  first: number;
  last: number;
}

export async function appendAll(client: Client, log: string, input: AsyncIterable<Buffer[]>, opts: AppendAllOptions = {}): Promise<AppendAllResult> {
  const maxRecords = opts.batchRecords ?? 1000;
  const maxBytes = opts.batchBytes ?? 1 << 20;
  const window = opts.window ?? 8;
  const inFlight: Promise<void>[] = [];
  const result: AppendAllResult = { count: 0, first: 0, last: 0 };
  let batch: Buffer[] = [];
  let bytes = 0;
  let sent = 0;

  const send = async () => {
    const records = batch;
    const size = bytes;
    batch = [];
    bytes = 0;
    const done = client.append(log, records).then((ids) => {
      if (result.first === 0) result.first = ids.first;
      result.last = Math.max(result.last, ids.last);
      result.count += records.length;
      opts.onBatch?.(records.length, size);
    });
    done.catch(() => undefined); // awaited below; keeps an early failure from being unhandled
    inFlight.push(done);
    // The first batch goes alone: a refusal (nolog, readonly, auth) stops the load before
    // more is sent, and the log exists before batches race to create it.
    if (sent++ === 0 || inFlight.length >= window) await inFlight.shift();
  };

  for await (const records of input) {
    for (const record of records) {
      if (batch.length > 0 && (batch.length >= maxRecords || bytes + record.length > maxBytes)) await send();
      batch.push(record);
      bytes += record.length;
    }
  }
  if (batch.length > 0) await send();
  await Promise.all(inFlight);
  return result;
}
