// NATS JetStream over the raw NATS protocol (no npm client: a raw client keeps the load generator
// from being NATS's bottleneck): PUB with a reply inbox for publish-with-ack, pipelined; push
// consumers (ack none, flow control) for catch-up and follow.
import type { Driver, EncodedAppend } from '../driver.ts';
import { ask } from '../ask.ts';
import { fieldEnd, fieldStart, parseDecimal, type LineHandler } from '../framed.ts';
import { Follower, type DeliverySink } from '../follower.ts';
import { openSocket, LineReplyCounter } from '../load.ts';
import type { BenchServer } from '../servers.ts';
import { STAMP_LENGTH, type LatencyRecorder } from '../stamp.ts';

const STREAM = 'S';
const SUBJECT = 's';
const ACKS = '_INBOX.acks';
const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"lang":"raw","version":"0"}\r\n';
const M = 77;
const H = 72;
const P = 80;
const O = 79;
const I = 73;
const MINUS = 45;

/** A JetStream API request; resolves with the parsed JSON reply, throws on an API error. */
export async function jsApi(server: BenchServer, api: string, body: object): Promise<Record<string, unknown>> {
  const json = JSON.stringify(body);
  const request = `${CONNECT}SUB _INBOX.api 1\r\nPUB $JS.API.${api} _INBOX.api ${Buffer.byteLength(json)}\r\n${json}\r\n`;
  const reply = await ask(server.host, server.port, request, (text) => {
    if (/^-ERR.*$/m.test(text)) throw new Error(`nats: ${/^-ERR.*$/m.exec(text)![0]}`);
    const m = /MSG _INBOX\.api 1 (\d+)\r\n/.exec(text);
    if (!m) return undefined;
    const start = m.index + m[0].length;
    return text.length >= start + Number(m[1]) ? text.slice(start, start + Number(m[1])) : undefined;
  });
  const parsed = JSON.parse(reply) as Record<string, unknown>;
  if (parsed.error) throw new Error(`nats ${api}: ${JSON.stringify(parsed.error)}`);
  return parsed;
}

/** MSG deliveries of a push consumer, flow-control requests (answered), heartbeats, PING/PONG. */
class ConsumerHandler implements LineHandler {
  private data = false;

  constructor(
    private readonly sink: DeliverySink,
    private readonly write: (bytes: string) => void,
    private readonly onPong: () => void,
  ) {}

  line(buf: Buffer, start: number, end: number): number {
    const c = buf[start];
    if (c === M) {
      this.data = true;
      this.sink.delivered(1);
      return this.lastNumber(buf, start, end) + 2;
    }
    this.data = false;
    if (c === H) {
      // HMSG <subject> <sid> [<reply>] <header-len> <total-len>: with a reply, a flow-control
      // request (a heartbeat comes with an empty reply field: two spaces).
      const reply = fieldStart(buf, start, end, 3);
      const replyEnd = fieldEnd(buf, reply, end);
      if (fieldStart(buf, start, end, 5) >= 0 && replyEnd > reply) this.write(`PUB ${buf.toString('latin1', reply, replyEnd)} 0\r\n\r\n`);
      return this.lastNumber(buf, start, end) + 2;
    }
    if (c === P && buf[start + 1] === I) this.write('PONG\r\n');
    else if (c === P && buf[start + 1] === O) this.onPong();
    else if (c === MINUS) throw new Error(`nats: ${buf.toString('latin1', start, end)}`);
    return 0;
  }

  private lastNumber(buf: Buffer, start: number, end: number): number {
    let i = end;
    while (i > start && buf[i - 1] !== 32) i--;
    return parseDecimal(buf, i, end);
  }

  prefixWanted(): number {
    return this.data && this.sink.latency ? STAMP_LENGTH : 0;
  }

  prefix(buf: Buffer): void {
    this.sink.latency!.record(buf, 0);
  }
}

let consumers = 0;

/** A push consumer (ack none, flow control) delivering the whole stream to a new connection. */
async function pushConsumer(server: BenchServer, latency: LatencyRecorder | null): Promise<Follower> {
  const follower = new Follower(await openSocket(server.host, server.port), latency);
  const deliver = `deliver.${++consumers}`;
  await new Promise<void>((resolve) => {
    follower.attach(new ConsumerHandler(follower, (bytes) => follower.socket.write(bytes), resolve), 1 << 16);
    follower.socket.write(`${CONNECT}SUB ${deliver} 1\r\nPING\r\n`);
  });
  await jsApi(server, `CONSUMER.CREATE.${STREAM}`, {
    stream_name: STREAM,
    config: { deliver_subject: deliver, deliver_policy: 'all', ack_policy: 'none', replay_policy: 'instant', flow_control: true, idle_heartbeat: 1e9 },
  });
  return follower;
}

export const natsDriver: Driver = {
  system: 'nats',
  clients: {
    append: 'tools/bench (raw NATS protocol, pipelined PUB with ack inbox = JetStream publish with acks)',
    read: 'tools/bench (raw NATS protocol, JetStream push consumer, ack none, flow control)',
    follow: 'tools/bench (raw NATS protocol, JetStream push consumer, ack none, flow control)',
  },
  async prepare(server) {
    await jsApi(server, `STREAM.CREATE.${STREAM}`, {
      name: STREAM,
      subjects: [SUBJECT],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      num_replicas: 1,
    });
  },
  async openWriter(server, connection) {
    const socket = await openSocket(server.host, server.port);
    socket.write(`${CONNECT}SUB ${ACKS}.${connection} 1\r\n`);
    return socket;
  },
  encodeAppend(body: Buffer, _batch: number, connection: number): EncodedAppend {
    // Each writer connection has its own ack inbox, so it counts only its own acks.
    const head = Buffer.from(`PUB ${SUBJECT} ${ACKS}.${connection} ${body.length}\r\n`);
    return { request: Buffer.concat([head, body, Buffer.from('\r\n')]), records: 1, payloadOffsets: [head.length] };
  },
  appendReplies: () => new LineReplyCounter((c) => (c === MINUS ? -1 : c === M ? 1 : 0)),
  async count(server) {
    const info = await jsApi(server, `STREAM.INFO.${STREAM}`, {});
    return Number((info.state as { messages: number }).messages);
  },
  catchUp: (server) => pushConsumer(server, null),
  follow: (server, latency) => pushConsumer(server, latency),
};
