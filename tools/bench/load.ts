// The load generator: raw node:net, a pre-encoded request repeated, pipelined N deep, replies
// counted by scanning for line ends (no per-reply allocation), so the generator is never the
// bottleneck. Used for logd (MSG, APPEND) and NATS (JetStream publish with acks; Debian ships no
// NATS benchmark client); Redis appends go through redis-benchmark, its own C client.
//
//   node --import tsx tools/bench/load.ts --port P [--log bench] [--count N] [--depth 512]
//        [--batch 1] [--size 100] [--conns 1]       (prints records/s and the client's CPU)
import { connect as netConnect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ownCpuSeconds } from './proc-stats.ts';

const LF = 10;

/** Counts complete replies in the bytes a server sends; throws on an error reply. */
export interface ReplyCounter {
  count(chunk: Buffer): number;
}

/**
 * Counts replies that are whole lines, by the first byte of each line: `classify` returns 1 for
 * a line that completes a reply, 0 for a line to skip, or -1 for an error reply.
 */
export class LineReplyCounter implements ReplyCounter {
  private atLineStart = true;

  constructor(private readonly classify: (firstByte: number) => number) {}

  count(chunk: Buffer): number {
    let n = 0;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.atLineStart) {
        const kind = this.classify(chunk[pos]!);
        if (kind < 0) this.fail(chunk, pos);
        n += kind;
        this.atLineStart = false;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) break;
      this.atLineStart = true;
      pos = lf + 1;
    }
    return n;
  }

  private fail(chunk: Buffer, pos: number): never {
    throw new Error(`error reply: ${chunk.toString('latin1', pos, Math.min(chunk.length, pos + 200)).split('\n')[0]}`);
  }
}

/** logd replies to MSG and APPEND: one line each, `OK ...` or `ERR ...`. */
export const logdReplies = (): LineReplyCounter => new LineReplyCounter((c) => (c === 69 /* E */ ? -1 : 1));

/** A payload of `size` bytes: printable, no line end, no space at the start. */
export function payload(size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = 97 + (i % 26);
  return buf;
}

/** `MSG <log> <payload>` LF. */
export function msgRequest(log: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`MSG ${log} `), body, Buffer.from('\n')]);
}

/** `APPEND <log> <len> x records` LF, then each body and LF. */
export function appendRequest(log: string, body: Buffer, records: number): Buffer {
  const head = Buffer.from(`APPEND ${log}${` ${body.length}`.repeat(records)}\n`);
  const rec = Buffer.concat([body, Buffer.from('\n')]);
  return Buffer.concat([head, ...Array<Buffer>(records).fill(rec)]);
}

export function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface PipelineSpec {
  /** One request, sent `requests` times. */
  request: Buffer;
  requests: number;
  /** Requests in flight at most. */
  depth: number;
  counter: ReplyCounter;
}

/**
 * Sends `requests` copies of `request` on `socket`, keeping `depth` in flight, and resolves with
 * the seconds from the first write to the last reply. Leaves the socket open.
 */
export function pipeline(socket: Socket, spec: PipelineSpec): Promise<number> {
  const depth = Math.max(1, Math.min(spec.depth, spec.requests));
  // `depth` copies back to back: any number of requests up to depth is one subarray of it.
  const block = Buffer.concat(Array<Buffer>(depth).fill(spec.request));
  const len = spec.request.length;
  let sent = 0;
  let done = 0;
  const send = (n: number): void => {
    if (n <= 0) return;
    socket.write(block.subarray(0, n * len));
    sent += n;
  };
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      let n: number;
      try {
        n = spec.counter.count(chunk);
      } catch (err) {
        cleanup();
        reject(err as Error);
        return;
      }
      done += n;
      if (done >= spec.requests) {
        cleanup();
        resolve(Number(process.hrtime.bigint() - start) / 1e9);
        return;
      }
      send(Math.min(n, spec.requests - sent));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`connection closed after ${done} of ${spec.requests} replies`));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    send(depth);
  });
}

export interface LogdLoad {
  host: string;
  port: number;
  log: string;
  /** Records to append in all. */
  records: number;
  /** Records per command: 1 sends MSG, more sends APPEND. */
  batch: number;
  size: number;
  /** Commands in flight per connection. */
  depth: number;
  connections: number;
}

/**
 * Sends `requests` requests spread over `sockets` (copies of `request[i]` on socket i), each
 * keeping `depth` in flight; resolves with the wall seconds until the last reply.
 */
export async function pipelineAll(sockets: Socket[], request: Buffer[], requests: number, depth: number, counter: () => ReplyCounter): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    sockets.map((s, i) =>
      pipeline(s, {
        request: request[i]!,
        requests: Math.floor(requests / sockets.length) + (i < requests % sockets.length ? 1 : 0),
        depth,
        counter: counter(),
      }),
    ),
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Appends to logd as fast as the load allows; resolves with the wall seconds it took. */
export async function loadLogd(load: LogdLoad): Promise<number> {
  const body = payload(load.size);
  const request = load.batch === 1 ? msgRequest(load.log, body) : appendRequest(load.log, body, load.batch);
  const sockets = await Promise.all(Array.from({ length: load.connections }, () => openSocket(load.host, load.port)));
  try {
    return await pipelineAll(
      sockets,
      sockets.map(() => request),
      Math.ceil(load.records / load.batch),
      load.depth,
      logdReplies,
    );
  } finally {
    for (const s of sockets) s.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      log: { type: 'string', default: 'bench' },
      count: { type: 'string', default: '1000000' },
      depth: { type: 'string', default: '512' },
      batch: { type: 'string', default: '1' },
      size: { type: 'string', default: '100' },
      conns: { type: 'string', default: '1' },
    },
  });
  if (!values.port) throw new Error('--port is required');
  const load: LogdLoad = {
    host: values.host,
    port: Number(values.port),
    log: values.log,
    records: Number(values.count),
    batch: Number(values.batch),
    size: Number(values.size),
    depth: Number(values.depth),
    connections: Number(values.conns),
  };
  const cpu0 = ownCpuSeconds();
  const seconds = await loadLogd(load);
  const cpu = ownCpuSeconds() - cpu0;
  console.log(
    `${load.records} records of ${load.size} B, ${load.batch} per command, ${load.connections} conn x ${load.depth} deep: ` +
      `${Math.round(load.records / seconds)} records/s in ${seconds.toFixed(2)} s; client CPU ${Math.round((100 * cpu) / seconds)}%`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
