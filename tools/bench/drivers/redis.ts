// Redis Streams: redis-benchmark (its own C client) for pipelined XADD; our raw RESP clients for
// XRANGE catch-up (COUNT 100, cursor by last id) and XREAD BLOCK follow.
import { spawn } from 'node:child_process';
import type { AppendSpec, Driver, EncodedAppend } from '../driver.ts';
import { ask } from '../ask.ts';
import { parseDecimal, type LineHandler } from '../framed.ts';
import { Follower, type DeliverySink } from '../follower.ts';
import { openSocket, LineReplyCounter } from '../load.ts';
import { childrenCpuSeconds } from '../proc-stats.ts';
import type { BenchServer } from '../servers.ts';
import { STAMP_LENGTH, type LatencyRecorder } from '../stamp.ts';

const KEY = 's';
const STAR = 42;
const DOLLAR = 36;
const MINUS = 45;
const COLON = 58;

/** A RESP command (array of bulk strings). */
export function resp(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Replies of XRANGE (an array of entries) or XREAD (the same inside [[key, entries]]), each
 * entry [id, [field, value]]. Keeps the last id for the cursor and asks for the next batch when
 * a reply is complete.
 */
class StreamReplyHandler implements LineHandler {
  private state: 'start' | 'key' | 'count' | 'entries' = 'start';
  private entriesInReply = 0;
  private bulksLeft = 0;
  /** What the bulk just announced is: 0 an entry id, 1 the field name, 2 the value. */
  private role = 0;
  private idLength = 0;
  private readonly lastId = Buffer.alloc(64);
  private lastIdLength = 0;

  constructor(
    private readonly sink: DeliverySink,
    private readonly xread: boolean,
    /** Called when a reply is complete, with the last id so far (null before any) and its entry count. */
    private readonly next: (lastId: string | null, entries: number) => void,
  ) {}

  line(buf: Buffer, start: number, end: number): number {
    const c = buf[start];
    if (c === MINUS) throw new Error(`redis: ${buf.toString('latin1', start, end)}`);
    if (c === STAR) {
      const n = buf[start + 1] === MINUS ? 0 : parseDecimal(buf, start + 1, end);
      if (this.state === 'start') {
        if (n === 0) this.complete();
        else if (this.xread) this.state = 'key';
        else this.entries(n);
      } else if (this.state === 'count') {
        if (n === 0) this.complete();
        else this.entries(n);
      }
      return 0;
    }
    if (c !== DOLLAR) return 0;
    const len = parseDecimal(buf, start + 1, end);
    if (this.state === 'key') {
      this.state = 'count';
      return len + 2;
    }
    const left = this.bulksLeft % 3;
    this.role = left === 0 ? 0 : left === 2 ? 1 : 2;
    this.bulksLeft--;
    if (this.role === 0) this.idLength = len;
    if (this.role === 2) this.sink.delivered(1);
    // The last value's header: its id came before, so the cursor is known.
    if (this.bulksLeft === 0) this.complete();
    return len + 2;
  }

  private entries(n: number): void {
    this.state = 'entries';
    this.entriesInReply = n;
    this.bulksLeft = 3 * n;
  }

  private complete(): void {
    const entries = this.state === 'entries' ? this.entriesInReply : 0;
    this.state = 'start';
    this.next(this.lastIdLength === 0 ? null : this.lastId.toString('latin1', 0, this.lastIdLength), entries);
  }

  prefixWanted(): number {
    if (this.role === 0) return this.idLength;
    return this.role === 2 && this.sink.latency ? STAMP_LENGTH : 0;
  }

  prefix(buf: Buffer, len: number): void {
    if (this.role === 0) {
      buf.copy(this.lastId, 0, 0, len);
      this.lastIdLength = len;
    } else {
      this.sink.latency!.record(buf, 0);
    }
  }
}

async function streamReader(server: BenchServer, xread: boolean, latency: LatencyRecorder | null, target: number): Promise<Follower> {
  const follower = new Follower(await openSocket(server.host, server.port), latency);
  const request = (lastId: string | null): Buffer =>
    xread
      ? resp('XREAD', 'COUNT', '1000', 'BLOCK', '0', 'STREAMS', KEY, lastId ?? '0-0')
      : resp('XRANGE', KEY, lastId === null ? '-' : `(${lastId}`, '+', 'COUNT', '100');
  follower.attach(
    new StreamReplyHandler(follower, xread, (lastId, entries) => {
      if (follower.received >= target) return;
      if (!xread && entries === 0) follower.fail(new Error(`XRANGE ran out at ${follower.received} of ${target} entries`));
      else follower.socket.write(request(lastId));
    }),
  );
  follower.socket.write(request(null));
  return follower;
}

/** redis-benchmark's CSV: `"test","rps",...` then one line per test. */
function parseRps(csv: string): number {
  const line = csv
    .trim()
    .split('\n')
    .find((l) => l.startsWith('"XADD'));
  const rps = line ? Number(line.split('","')[1]) : NaN;
  if (!(rps > 0)) throw new Error(`redis-benchmark printed no rate:\n${csv}`);
  return rps;
}

/** Runs redis-benchmark under sh, which prints its /proc stat afterwards: the child's CPU time. */
function redisBenchmark(server: BenchServer, spec: AppendSpec, body: Buffer): Promise<{ seconds: number; clientCpu: number }> {
  const args = [
    '-h',
    server.host,
    '-p',
    String(server.port),
    '-c',
    String(spec.connections),
    '-P',
    String(spec.depth),
    '-n',
    String(spec.records),
    '--csv',
    'XADD',
    KEY,
    '*',
    'f',
    body.toString('latin1'),
  ];
  const script = '"$@"; rc=$?; echo; echo "STAT $(cat /proc/$$/stat)"; exit $rc';
  const proc = spawn('sh', ['-c', script, 'sh', 'redis-benchmark', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const stat = /^STAT (.*)$/m.exec(out);
      if (code !== 0 || !stat) {
        reject(new Error(`redis-benchmark exited with ${code}:\n${out}\n${err}`));
        return;
      }
      try {
        resolve({ seconds: spec.records / parseRps(out.slice(0, stat.index)), clientCpu: childrenCpuSeconds(stat[1]!) });
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export const redisDriver: Driver = {
  system: 'redis',
  clients: {
    append: 'redis-benchmark -P (pipelined XADD)',
    read: 'tools/bench (raw RESP, XRANGE COUNT 100 by cursor)',
    follow: 'tools/bench (raw RESP, XREAD COUNT 1000 BLOCK 0)',
  },
  openWriter: (server) => openSocket(server.host, server.port),
  encodeAppend(body: Buffer): EncodedAppend {
    const request = resp('XADD', KEY, '*', 'f', body);
    return { request, records: 1, payloadOffsets: [request.length - 2 - body.length] };
  },
  appendReplies: () => new LineReplyCounter((c) => (c === MINUS ? -1 : c === DOLLAR ? 1 : 0)),
  standardAppend(server, spec) {
    const body = Buffer.alloc(spec.size, 'x');
    return redisBenchmark(server, spec, body);
  },
  count: (server) =>
    ask(server.host, server.port, resp('XLEN', KEY), (text) => {
      if (text.charCodeAt(0) === MINUS) throw new Error(`redis: ${text.trim()}`);
      return text.charCodeAt(0) === COLON && text.includes('\r\n') ? Number(text.slice(1, text.indexOf('\r'))) : undefined;
    }),
  catchUp: (server, records) => streamReader(server, false, null, records),
  follow: (server, latency) => streamReader(server, true, latency, Infinity),
};
