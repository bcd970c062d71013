// Test helper for the crash loops: a driver that pipelines appends to one log over several
// connections and remembers what was acknowledged, and a checker for what a node then holds.
//
// Each record names its batch: `<batch-key>:<index>:<size>:` then filler, where the batch key is
// `<generation>/<connection>/<n>`, so a log can be checked without keeping any payload: every
// acknowledged batch must sit whole at the ids of its OK, every batch in the log must be whole
// (APPEND is atomic), ids must run without a gap and every CRC must match.
import { connect, type Socket } from 'node:net';
import { payloadCrc } from '../../protocol/frame.ts';
import type { Rec } from '../_wire.ts';

export interface DriverOptions {
  port: number;
  log: string;
  /** Names this run's batches (e.g. the cycle number); must be unique per run. */
  generation: string;
  connections?: number;
  /** Commands in flight per connection. */
  depth?: number;
  /** Reconnect (every 100 ms) when a connection drops, until stop(): for a node that restarts. */
  reconnect?: boolean;
}

/** Acknowledged batches: key -> [first id, last id]. Shared by every run of a log. */
export type Acked = Map<string, [number, number]>;

export class AppendDriver {
  private running = true;
  private readonly lanes: Promise<void>[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly o: DriverOptions,
    private readonly acked: Acked,
  ) {
    for (let c = 0; c < (o.connections ?? 3); c++) this.lanes.push(this.lane(c));
  }

  /** Stops sending; resolves when every lane has its replies or lost its connection. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
  }

  /** Drops every connection at once (the node is about to be killed: nothing more is acknowledged). */
  drop(): void {
    this.running = false;
    for (const socket of this.sockets) socket.destroy();
  }

  private async lane(c: number): Promise<void> {
    let n = 0;
    while (this.running) {
      const socket = await open(this.o.port);
      if (!socket) {
        if (!this.o.reconnect) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      this.sockets.add(socket);
      n = await this.pipeline(socket, c, n);
      this.sockets.delete(socket);
      socket.destroy();
      if (!this.o.reconnect) return;
    }
  }

  /** Sends batches with up to `depth` in flight until stopped or the connection drops. */
  private pipeline(socket: Socket, c: number, n: number): Promise<number> {
    const depth = this.o.depth ?? 4;
    const inFlight: string[] = [];
    let text = '';
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve(n);
      };
      const send = () => {
        while (this.running && inFlight.length < depth) {
          const key = `${this.o.generation}/${c}/${n++}`;
          inFlight.push(key);
          socket.write(encodeBatch(this.o.log, key));
        }
        if (!this.running && inFlight.length === 0) finish();
      };
      socket.setEncoding('latin1');
      socket.on('data', (data: string) => {
        text += data;
        let lf: number;
        while ((lf = text.indexOf('\n')) >= 0) {
          const line = text.slice(0, lf - 1);
          text = text.slice(lf + 1);
          const key = inFlight.shift()!;
          const m = /^OK (\d+)(?: (\d+))?$/.exec(line);
          if (m) this.acked.set(key, [Number(m[1]), Number(m[2] ?? m[1])]);
          else if (!line.startsWith('ERR ')) throw new Error(`unexpected reply ${JSON.stringify(line)}`);
        }
        send();
      });
      socket.on('error', () => {});
      socket.on('close', finish);
      send();
    });
  }
}

function open(port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', () => resolve(null));
  });
}

/** Batch sizes and filler lengths follow from the key, so nothing needs to be stored. */
function shapeOf(key: string): { size: number; filler: number } {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return { size: 1 + (h % 32 === 0 ? h % 100 : h % 8), filler: (h >>> 8) % 200 };
}

function encodeBatch(log: string, key: string): string {
  const { size, filler } = shapeOf(key);
  const payloads = Array.from({ length: size }, (_, i) => `${key}:${i}:${size}:`.padEnd(filler, 'f'));
  return `APPEND ${log} ${payloads.map((p) => p.length).join(' ')}\n${payloads.map((p) => p + '\n').join('')}`;
}

/**
 * Problems with a log's records, records[0] having id `first` (the log's end from there: what
 * is below was checked before); empty when the records are sound.
 */
export function checkRecords(records: Rec[], first: number, acked: Acked): string[] {
  const problems: string[] = [];
  const at = new Map<string, number>();
  records.forEach((r, i) => {
    if (r.id !== first + i) problems.push(`id ${r.id} where ${first + i} was due`);
    if (payloadCrc(r.payload) !== r.crc) problems.push(`record ${r.id} fails its CRC`);
    const [key = '', index, size] = r.payload.toString('latin1').split(':');
    if (Number(index) === 0) at.set(key, r.id);
    const start = at.get(key);
    if (start === undefined || r.id !== start + Number(index) || Number(size) !== shapeOf(key).size)
      problems.push(`record ${r.id} (${key} ${index}/${size}) is not in its batch`);
    else if (Number(index) === Number(size) - 1) at.delete(key);
  });
  for (const [key, id] of at) if (id - first + shapeOf(key).size > records.length) problems.push(`batch ${key} at ${id} is cut short`);
  const last = first + records.length - 1;
  for (const [key, [from, to]] of acked) {
    if (from < first) continue; // checked before (or trimmed)
    if (to > last) {
      problems.push(`acknowledged batch ${key} (${from}-${to}) is missing: the log ends at ${last}`);
      continue;
    }
    const r = records[from - first]!; // first <= from <= to <= last
    if (!r.payload.toString('latin1').startsWith(`${key}:0:`) || to - from + 1 !== shapeOf(key).size)
      problems.push(`acknowledged batch ${key} is not at ${from}-${to}`);
  }
  return problems.slice(0, 20);
}
