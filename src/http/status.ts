// /status.json, which the page polls: this node, its participants, its logs, and a bounded ring
// of samples (one a second, the last five minutes) for the append-rate and lag charts, so a page
// opened now shows the recent past too.
import { figure, snapshot, type NodeView, type Snapshot } from './view.ts';

export const SAMPLE_MS = 1000;
export const SAMPLES = 300;

/** [ms since the epoch, records_in, repl_records_in, repl_lag]: counters as totals, null when unknown. */
export type Sample = [number, number | null, number | null, number | null];

export class Sampler {
  private readonly ring: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly view: NodeView) {}

  start(): void {
    this.take();
    this.timer = setInterval(() => this.take(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  samples(): readonly Sample[] {
    return this.ring;
  }

  private take(): void {
    const { stats } = snapshot(this.view);
    if (this.ring.length === SAMPLES) this.ring.shift();
    this.ring.push([Date.now(), figure(stats.get('records_in')), figure(stats.get('repl_records_in')), figure(stats.get('repl_lag'))]);
  }
}

export function statusJson(view: NodeView, snap: Snapshot, samples: readonly Sample[]): string {
  const participants = [...view.peers()].map(([name, p]) => ({ name, address: `${p.host}:${p.port}`, up: p.up }));
  const logs = snap.logs.map((log) => {
    const acks: Record<string, number | null> = {};
    for (const [key, value] of Object.entries(log.extras)) if (key.startsWith('ack.')) acks[key.slice(4)] = figure(value);
    const { state = null, source = null, failover = null } = log.extras;
    return { name: log.name, role: log.role, first: log.first, head: log.head, lag: figure(log.extras.lag), state, source, failover, acks };
  });
  return JSON.stringify({
    node: { id: view.id, listen: view.listen, stats: Object.fromEntries(snap.stats) },
    participants,
    logs,
    sampleMs: SAMPLE_MS,
    samples,
  });
}
