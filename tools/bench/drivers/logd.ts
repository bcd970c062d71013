// logd, driven by our own raw-socket clients: MSG/APPEND pipelined, READ for catch-up and follow.
import type { Driver, EncodedAppend } from '../driver.ts';
import { ask } from '../ask.ts';
import { fieldStart, fieldEnd, parseDecimal, type LineHandler } from '../framed.ts';
import { Follower, type DeliverySink } from '../follower.ts';
import { appendRequest, openSocket, logdReplies, msgRequest } from '../load.ts';
import { LOGD_LOG, type BenchServer } from '../servers.ts';
import { STAMP_LENGTH, type LatencyRecorder } from '../stamp.ts';

const R = 82;
const E = 69;
const N = 78;

/** REC frames and the END line of a READ. */
class ReadHandler implements LineHandler {
  /** `lastId`: the id the READ must reach before its END (Infinity for a follow). */
  constructor(
    private readonly sink: DeliverySink & { fail(err: Error): void },
    private readonly lastId: number,
  ) {}

  line(buf: Buffer, start: number, end: number): number {
    if (buf[start] === R) {
      this.sink.delivered(1);
      const lenAt = fieldStart(buf, start, end, 3);
      return parseDecimal(buf, lenAt, fieldEnd(buf, lenAt, end)) + 2;
    }
    if (buf[start] === E && buf[start + 1] === N) {
      const next = parseDecimal(buf, start + 4, end);
      if (next - 1 < this.lastId) this.sink.fail(new Error(`READ ended at id ${next - 1}, before ${this.lastId}`));
      return 0;
    }
    if (buf[start] === E) throw new Error(`logd: ${buf.toString('latin1', start, end)}`);
    return 0;
  }

  prefixWanted(): number {
    return this.sink.latency ? STAMP_LENGTH : 0;
  }

  prefix(buf: Buffer): void {
    this.sink.latency!.record(buf, 0);
  }
}

async function read(server: BenchServer, command: string, lastId: number, latency: LatencyRecorder | null): Promise<Follower> {
  const follower = new Follower(await openSocket(server.host, server.port), latency);
  follower.attach(new ReadHandler(follower, lastId));
  follower.socket.write(command);
  return follower;
}

/** A catch-up READ of `records` records from id `start`. */
export function readFrom(server: BenchServer, start: number, records: number): Promise<Follower> {
  return read(server, `READ ${LOGD_LOG} ${start} ${records} NOWAIT\n`, start - 1 + records, null);
}

export const logdDriver: Driver = {
  system: 'logd',
  clients: {
    append: 'tools/bench/load.ts (raw socket, pipelined MSG / APPEND)',
    read: 'tools/bench (raw socket, one READ <start> <n> NOWAIT)',
    follow: 'tools/bench (raw socket, READ <start> following)',
  },
  openWriter: (server) => openSocket(server.host, server.port),
  encodeAppend(body: Buffer, batch: number): EncodedAppend {
    const request = batch === 1 ? msgRequest(LOGD_LOG, body) : appendRequest(LOGD_LOG, body, batch);
    const first = batch === 1 ? `MSG ${LOGD_LOG} `.length : request.indexOf(10) + 1;
    return { request, records: batch, payloadOffsets: Array.from({ length: batch }, (_, i) => first + i * (body.length + 1)) };
  },
  appendReplies: logdReplies,
  count: (server) =>
    ask(server.host, server.port, `HEAD ${LOGD_LOG}\n`, (text) => {
      const m = /^(OK (\d+)|ERR.*)\r\n/.exec(text);
      if (m && !m[2]) throw new Error(`logd: ${m[1]}`);
      return m ? Number(m[2]) : undefined;
    }),
  catchUp: (server, records) => readFrom(server, 1, records),
  follow: (server, latency) => read(server, `READ ${LOGD_LOG} 1\n`, Infinity, latency),
};
