// logtool refill: a stopped node's log gets the records a replica elsewhere holds past its head,
// byte for byte: each record read from the replica is framed again (the frame encoding is
// canonical, so the bytes are the replica's) and stored with Log.appendFrames, which checks
// every CRC and the continuity of the ids. The store is opened like the server opens it (LOCK,
// recovery), so a running server or a damaged log is refused.
import { newFrameHeader, parseFrame, writeFrame, frameLength } from '../../protocol/frame.ts';
import type { Client } from '../../src/client/index.ts';
import { Store } from '../../src/storage/store.ts';

const BATCH_BYTES = 1 << 20;

export interface Refilled {
  count: number;
  first: number;
  last: number;
}

export async function refill(dir: string, log: string, client: Client, chunkBytes: number): Promise<Refilled> {
  const store = await Store.open({ dir, fsync: { mode: 'always' }, chunkBytes, maxMsg: Number.MAX_SAFE_INTEGER, logger: () => {} });
  try {
    const damage = store.damage(log);
    if (damage) throw new Error(`${damage.message}: run logtool repair first`);
    const local = store.get(log) ?? (await store.create(log));
    const head = local.head();
    if (head > 0) {
      const { data } = await local.read(head, 1, 1);
      const ours = newFrameHeader();
      parseFrame(data, 0, data.length, ours);
      let theirs: { timestamp: number; crc: number } | undefined;
      for await (const record of client.read(log, head, { limit: 1 })) theirs = record;
      if (!theirs) throw new Error(`the server does not hold record ${head} of ${log}: nothing to refill from`);
      if (theirs.timestamp !== ours.ts || theirs.crc !== ours.crc) {
        throw new Error(
          `record ${head} differs (here ts ${ours.ts} crc ${ours.crc}, there ts ${theirs.timestamp} crc ${theirs.crc}): not the same history, refusing`,
        );
      }
    }
    const parts: Buffer[] = [];
    let bytes = 0;
    let count = 0;
    const flush = async (): Promise<void> => {
      if (parts.length === 0) return;
      await local.appendFrames(Buffer.concat(parts, bytes));
      parts.length = 0;
      bytes = 0;
    };
    for await (const record of client.read(log, head + 1)) {
      const frame = Buffer.allocUnsafe(frameLength(record.id, record.timestamp, record.payload.length));
      writeFrame(frame, 0, record.id, record.timestamp, record.payload, record.crc);
      parts.push(frame);
      bytes += frame.length;
      count++;
      if (bytes >= BATCH_BYTES) await flush();
    }
    await flush();
    return { count, first: head + 1, last: local.head() };
  } finally {
    await store.close();
  }
}
