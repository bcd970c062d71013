// Send timestamps carried in payloads, for append-to-delivery latency: the producer and the
// follower run in one process, so one clock measures both ends.

/** Bytes of a stamp at the start of a payload: microseconds since this process started. */
export const STAMP_LENGTH = 12;

export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

/** Writes the current time as STAMP_LENGTH decimal digits at `pos`. */
export function writeStamp(buf: Buffer, pos: number): void {
  let n = nowMicros();
  for (let i = pos + STAMP_LENGTH - 1; i >= pos; i--) {
    buf[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/** Reads a stamp at `pos`; NaN when the bytes there are not one. */
export function readStamp(buf: Buffer, pos: number): number {
  let n = 0;
  for (let i = pos; i < pos + STAMP_LENGTH; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** Latency samples in microseconds, preallocated; percentiles in milliseconds. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private n = 0;
  private from = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  /** Drops samples whose stamp is before `micros` (a warm-up). */
  ignoreBefore(micros: number): void {
    this.from = micros;
  }

  /** Records now minus the stamp read from `buf` at `pos`. */
  record(buf: Buffer, pos: number): void {
    const sent = readStamp(buf, pos);
    if (!(sent >= this.from) || this.n === this.samples.length) return;
    this.samples[this.n++] = nowMicros() - sent;
  }

  get count(): number {
    return this.n;
  }

  /** Percentiles (0..1) in milliseconds. */
  percentiles<P extends readonly number[]>(ps: P): { [K in keyof P]: number } {
    const sorted = this.samples.slice(0, this.n).sort();
    return ps.map((p) => (this.n === 0 ? NaN : sorted[Math.min(this.n - 1, Math.floor(p * this.n))]! / 1000)) as { [K in keyof P]: number };
  }
}
