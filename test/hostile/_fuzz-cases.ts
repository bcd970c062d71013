// Test helper: a seeded generator of protocol input for the fuzzer: valid commands with random
// arguments, the same mutated (bytes flipped, inserted, cut, numbers blown up), and garbage.
// The same seed gives the same cases, so a failure can be replayed with LOGD_FUZZ_SEED.

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Cases {
  constructor(private readonly rand: () => number) {}

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  /** A random element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** One case: what a client sends at once (before the random splitting). */
  next(): Buffer {
    const r = this.rand();
    if (r < 0.55) return this.command();
    if (r < 0.9) return this.mutate(this.command());
    return this.garbage();
  }

  /** Splits a case into 1-8 pieces at random byte positions. */
  split(buf: Buffer): Buffer[] {
    const cuts = new Set<number>();
    const n = this.int(8);
    for (let i = 0; i < n && buf.length > 1; i++) cuts.add(1 + this.int(buf.length - 1));
    const points = [0, ...[...cuts].sort((a, b) => a - b), buf.length];
    const pieces: Buffer[] = [];
    for (let i = 1; i < points.length; i++) pieces.push(buf.subarray(points[i - 1], points[i]));
    return pieces;
  }

  private log(): string {
    return this.pick(LOGS);
  }

  private id(): string {
    return this.pick(['0', '1', '2', String(this.int(50)), String(this.int(100_000)), '$', '9007199254740991', '9007199254740992', '-1', '1e3', '']);
  }

  private text(max: number): string {
    const n = 1 + this.int(max);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(32 + this.int(95));
    return s;
  }

  command(): Buffer {
    const eol = this.pick(['\n', '\r\n', '\n', '\n\n', '  \n']);
    const verb = (v: string) => (this.rand() < 0.1 ? v.toLowerCase() : v);
    switch (this.int(25)) {
      case 0:
        return Buffer.from(`${verb('PING')}${eol}`);
      case 1:
      case 2:
      case 3:
        return Buffer.from(`${verb('MSG')} ${this.log()} ${this.text(this.rand() < 0.05 ? 70_000 : 200)}${eol}`, 'latin1');
      case 4:
      case 5:
        return this.append();
      case 6:
        return Buffer.from(`${verb('HEAD')} ${this.log()}${eol}`);
      case 7:
      case 8:
        return Buffer.from(`${verb('READ')} ${this.log()} ${this.id()} ${this.int(20)} NOWAIT${eol}`);
      case 9:
        return Buffer.from(`${verb('READ')} ${this.log()} ${this.id()}${eol}${this.rand() < 0.8 ? 'STOP\n' : ''}`);
      case 10:
        return Buffer.from(`${verb('SUBSCRIBE')} ${this.log()} ${this.rand() < 0.5 ? this.log() : ''}${eol}`);
      case 11:
        return Buffer.from(`${verb('UNSUBSCRIBE')}${this.rand() < 0.5 ? ' ' + this.log() : ''}${eol}`);
      case 12:
        return Buffer.from(`${this.pick(['LOGS', 'STATS', 'STOP'])}${eol}`);
      case 13:
        return Buffer.from(
          `${verb('CHECKPOINT')} ${this.pick(['c1', 'c2', '.c', 'c'.repeat(70)])} ${this.log()}${this.rand() < 0.5 ? ' ' + this.id() : ''}${eol}`,
        );
      case 14:
        return Buffer.from(`${verb('TRIM')} ${this.log()} ${this.id()}${eol}`);
      case 15:
        return Buffer.from(`${this.pick(['REFUSE', 'ACCEPT', 'ACCEPT'])} ${this.log()}${eol}`);
      case 16:
        return Buffer.from(`${verb('AUTH')} ${this.text(20).replace(/ /g, '')}${eol}`);
      case 17:
        return Buffer.from(
          `${verb('REPLICATE')} ${this.log()} ${this.id()}${this.rand() < 0.5 ? ` ${this.id()} ${this.id()} ${this.bytes(4).toString('hex')}` : ''}${eol}STOP\n`,
        );
      case 18:
        if (this.rand() < 0.5) return Buffer.from(`ACK ${this.pick(['bob', 'x'])} ${this.id()}${eol}`);
        return Buffer.from(
          `${verb('WAIT')} ${this.log()} ${this.id()} ${this.int(3)}${this.rand() < 0.5 ? ' ' + this.int(50) : ''}${eol}${this.rand() < 0.5 ? 'STOP\n' : ''}`,
        );
      case 19:
        return Buffer.from(`${this.pick(['SHUTDOWN', 'CLOSE', 'PING'])}${eol}`);
      case 20:
        return Buffer.from(`${this.pick(['FOO', 'M', 'MSGX', 'APPENDING', '\t', ''])} ${this.text(30)}${eol}`);
      case 21:
        return Buffer.from(`${verb('MSG')} ${this.log()}@${this.id()} ${this.text(100)}${eol}`, 'latin1');
      case 22:
        return Buffer.from(
          `${verb('READ')} ${this.log()} ${this.pick(['@c1', '@', '@.c', this.id()])} ${this.int(20)}${this.pick([' NOWAIT', ` WAIT ${this.id()}`, ' WAIT', ' WAIT 5 NOWAIT', ''])}${eol}STOP\n`,
        );
      case 23:
        return Buffer.from(
          `${this.pick([`SEEK ${this.log()} ${this.pick([this.id(), '2026-12-01T10:00:00Z', '2026-02-30T00:00:00.5+01:00', this.text(20)])}`, `CONSUMERS${this.rand() < 0.5 ? ' ' + this.log() : ''}`, `CHECKPOINT c1 ${this.log()} ${this.id()} RESET`])}${eol}`,
          'latin1',
        );
      default:
        return Buffer.from(`${this.pick(['MSG', 'READ', 'HEAD', 'APPEND', 'TRIM', 'CHECKPOINT', 'SEEK', 'CONSUMERS'])}${' '.repeat(this.int(3))}${eol}`);
    }
  }

  private append(): Buffer {
    const n = 1 + this.int(this.rand() < 0.1 ? 300 : 5);
    const bodies = Array.from({ length: n }, () => this.bytes(this.rand() < 0.02 ? 70_000 : this.int(100)));
    const lens = bodies.map((b) => b.length);
    const target = this.rand() < 0.2 ? `${this.log()}@${this.id()}` : this.log();
    const parts: Buffer[] = [Buffer.from(`APPEND ${target} ${lens.join(' ')}\n`)];
    for (const body of bodies) parts.push(body, Buffer.from(this.pick(['\n', '\r\n'])));
    return Buffer.concat(parts);
  }

  mutate(buf: Buffer): Buffer {
    const b = Buffer.from(buf);
    switch (this.int(7)) {
      case 0: // flip some bytes
        for (let i = 1 + this.int(4); i > 0 && b.length; i--) b[this.int(b.length)] = this.int(256);
        return b;
      case 1: // insert random bytes
        {
          const at = this.int(b.length + 1);
          return Buffer.concat([b.subarray(0, at), this.bytes(1 + this.int(16)), b.subarray(at)]);
        }
      case 2: // cut a range out
        {
          const from = this.int(b.length + 1);
          return Buffer.concat([b.subarray(0, from), b.subarray(from + 1 + this.int(32))]);
        }
      case 3: // truncate
        return b.subarray(0, this.int(b.length + 1));
      case 4: // numbers blown up
        return Buffer.from(
          b.toString('latin1').replace(/\d+/g, () => this.pick(['99999999999999999999', '10737418240', '0', '-5', '00001', ''])),
          'latin1',
        );
      case 5: // line ends moved
        return Buffer.from(
          b.toString('latin1').replace(/\n/g, () => this.pick(['', '\r', '\n\n', ' \n', '\r\r\n'])),
          'latin1',
        );
      default: // doubled
        return Buffer.concat([b, b]);
    }
  }

  private garbage(): Buffer {
    const n = this.int(this.rand() < 0.05 ? 200_000 : 2000);
    if (this.rand() < 0.5) return this.bytes(n);
    // Printable garbage with line ends: many short unknown or malformed lines.
    let s = '';
    while (s.length < n) s += this.rand() < 0.1 ? '\n' : String.fromCharCode(32 + this.int(95));
    return Buffer.from(s, 'latin1');
  }
}

const LOGS = ['test', 'test', 'test', 'test.a', 'test.b', 'test.' + 'y'.repeat(59), 'other', 'x'.repeat(65), '.bad', 'a/b', '..', ''];
