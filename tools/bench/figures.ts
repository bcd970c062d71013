// The figures of the side-by-side table: what each row measures, its unit, and which way is better.
export interface Figure {
  key: string;
  label: string;
  unit: string;
  /** true when a higher value is better (throughput); false for latency and memory. */
  higherIsBetter: boolean;
  /** Measured in the logd column only (logd-only figures and the reference rows), so it has no ratio. */
  alone?: boolean;
}

const rate = (key: string, label: string, unit = 'records/s'): Figure => ({ key, label, unit, higherIsBetter: true });
const cost = (key: string, label: string, unit: string): Figure => ({ key, label, unit, higherIsBetter: false });

const alone = (figure: Figure): Figure => ({ ...figure, alone: true });

export const FIGURES: Figure[] = [
  rate('append.always', '(1) append, 1 conn, 512 deep, fsync always'),
  rate('append.interval', '(1) append, 1 conn, 512 deep, ~1 s sync'),
  rate('append16.always', '(2) append, 16 conns x 32 deep, fsync always'),
  rate('append16.interval', '(2) append, 16 conns x 32 deep, ~1 s sync'),
  rate('batch.always', '(3) batched append (APPEND 100), fsync always'),
  rate('batch.interval', '(3) batched append (APPEND 100), ~1 s sync'),
  rate('read', '(4) catch-up read'),
  rate('read.mb', '(4) catch-up read, payload', 'MB/s'),
  cost('follow5k.p50', '(5) follow latency at 5k/s, p50', 'ms'),
  cost('follow5k.p99', '(5) follow latency at 5k/s, p99', 'ms'),
  cost('follow5k.p999', '(5) follow latency at 5k/s, p99.9', 'ms'),
  cost('follow20k.p50', '(5) follow latency at 20k/s, p50', 'ms'),
  cost('follow20k.p99', '(5) follow latency at 20k/s, p99', 'ms'),
  cost('follow20k.p999', '(5) follow latency at 20k/s, p99.9', 'ms'),
  rate('fanout.rate', '(6) 100 followers, delivered'),
  cost('fanout.rss', '(6) 100 followers, server peak RSS', 'MB'),
  rate('append1k', '(7) append 1 KiB, 1 conn, 512 deep'),
  rate('read1k', '(7) catch-up read 1 KiB'),
  rate('append64k', '(7) append 64 KiB, 1 conn, 512 deep'),
  rate('read64k', '(7) catch-up read 64 KiB'),
  alone(rate('replication', '(8) logd only: replication catch-up')),
  alone(cost('footprint.small.rest', '(8) logd only: RSS after opening the small log', 'MB')),
  alone(cost('footprint.large.rest', '(8) logd only: RSS after opening the large log', 'MB')),
  alone(cost('footprint.small.load', '(8) logd only: peak RSS, read + append, small log', 'MB')),
  alone(cost('footprint.large.load', '(8) logd only: peak RSS, read + append, large log', 'MB')),
  alone(cost('restart.clean', '(8) logd only: restart after clean stop, spawn to listening', 's')),
  alone(cost('restart.clean.open', '(8) logd only: restart after clean stop, open as logged', 's')),
  alone(cost('restart.kill', '(8) logd only: restart after SIGKILL, spawn to listening', 's')),
  alone(cost('restart.kill.open', '(8) logd only: restart after SIGKILL, open as logged', 's')),
  alone(rate('ceiling.append', '(9) reference: bare node:net line server, no storage, MSG 1 conn 512 deep (logd column)')),
  alone(rate('ceiling.share.always', '(9) logd MSG rate (1), fsync always, as a share of the bare server', '%')),
  alone(rate('ceiling.share.interval', '(9) logd MSG rate (1), ~1 s sync, as a share of the bare server', '%')),
  alone(rate('disk.syncs', '(9) reference: this disk, 4 KiB sequential appends, fdatasync after each (logd column)', 'writes/s')),
  alone(rate('disk.mb', '(9) reference: this disk, 1 MiB sequential appends, fdatasync after each (logd column)', 'MB/s')),
];

export const FIGURE_BY_KEY = new Map(FIGURES.map((f) => [f.key, f]));
