// Progress of long work (verify, import, a big read to a file), on stderr.
// On a terminal: one line redrawn in place with a bar, the rate and the ETA; on a narrow one
// the bar goes first, then the counts, so that the ETA always shows.
// Otherwise (a log file, CI): a plain line every few seconds, so the output stays readable.
// Short work prints nothing: the first report waits for `delayMs` (terminal) or `intervalMs`.

export interface ProgressOptions {
  /** What is being done, e.g. "import". */
  label: string;
  /** Total units, when known: enables the percentage, the bar and the ETA. */
  total?: number;
  /** Unit name for counts and rates (default "records"). */
  unit?: string;
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw period on a terminal (default 200 ms). */
  delayMs?: number;
  /** Period of plain lines when not a terminal (default 5000 ms). */
  intervalMs?: number;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
}

export class Progress {
  private done = 0;
  private readonly started: number;
  private lastReport: number;
  private reported = false;
  private readonly tty: boolean;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly now: () => number;
  private readonly period: number;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.started = this.lastReport = this.now();
    this.period = this.tty ? (opts.delayMs ?? 200) : (opts.intervalMs ?? 5000);
  }

  /** Counts `n` more units done; reports when a period has passed. */
  add(n: number): void {
    this.done += n;
    const now = this.now();
    if (now - this.lastReport < this.period) return;
    this.lastReport = now;
    this.reported = true;
    this.stream.write(this.tty ? `\r${this.fit(now)}\x1b[K` : `${this.line(now)}\n`);
  }

  /** Ends the report with a summary line, if anything was reported. */
  finish(): void {
    if (!this.reported) return;
    const now = this.now();
    const summary = `${this.opts.label}: ${count(this.done)} ${this.unit} in ${duration(now - this.started)} (${rate(this.done, now - this.started)} ${this.unit}/s)`;
    this.stream.write(this.tty ? `\r${summary}\x1b[K\n` : `${summary}\n`);
  }

  /** The current report without bar (the plain line), or with one on a terminal. */
  line(now: number = this.now()): string {
    return this.compose(now, this.tty, true);
  }

  private compose(now: number, withBar: boolean, withCounts: boolean): string {
    const elapsed = now - this.started;
    const total = this.opts.total;
    const speed = `${rate(this.done, elapsed)} ${this.unit}/s`;
    if (total === undefined || total <= 0) return `${this.opts.label}: ${count(this.done)} ${this.unit}, ${speed}`;
    const fraction = Math.min(1, this.done / total);
    const eta = this.done > 0 ? ((total - this.done) * elapsed) / this.done : NaN;
    const percent = `${(fraction * 100).toFixed(1)}%`;
    const bar = withBar ? ` [${'#'.repeat(Math.round(fraction * 20)).padEnd(20, '.')}]` : '';
    const counts = withCounts ? ` ${count(this.done)}/${count(total)} ${this.unit},` : '';
    return `${this.opts.label}:${bar} ${percent}${counts} ${speed}, ETA ${Number.isFinite(eta) ? duration(eta) : '?'}`;
  }

  private get unit(): string {
    return this.opts.unit ?? 'records';
  }

  /** The terminal line, shorter than the terminal is wide (a full line would wrap on some). */
  private fit(now: number): string {
    const room = (this.stream.columns ?? 80) - 1;
    let line = '';
    for (const [withBar, withCounts] of [
      [true, true],
      [false, true],
      [false, false],
    ] as const) {
      line = this.compose(now, withBar, withCounts);
      if (line.length <= room) return line;
    }
    return line.slice(0, room);
  }
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function rate(n: number, ms: number): string {
  const perSecond = ms > 0 ? (n * 1000) / ms : 0;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

/** 0:05, 1:02:03. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
