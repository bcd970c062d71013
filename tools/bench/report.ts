// Turns the samples of all rounds into the table: medians per figure and system, logd's ratio
// to the best peer, the CPU each side used; as plain text for the terminal and as Markdown.
// The ratio is the median of the per-round ratios (each round measures the systems back to back,
// so a machine that slows down for a while moves both sides of a round's ratio alike), with the
// range of the rounds; rounds that disagree by more than 20% are flagged.
import type { CpuUse } from './meter.ts';
import { FIGURES, type Figure } from './figures.ts';
import type { Sample } from './workloads.ts';
import { SYSTEMS, type System } from './servers.ts';

/** A sample and the round (0-based) that measured it. */
export type RoundSample = Sample & { round: number };

/** samples[figure key][system] = one sample per round that ran it. */
export type Collected = Record<string, Partial<Record<System, RoundSample[]>>>;

export interface Row {
  figure: Figure;
  /** Median value per system; null where the system did not run it. */
  values: Record<System, number | null>;
  cpu: Record<System, CpuUse | null>;
  /** logd against the best peer, oriented so that > 1 means logd is better: the median of the rounds' ratios; null without both. */
  ratio: number | null;
  /** The smallest and largest per-round ratio. */
  ratioRange: [number, number] | null;
}

/** Rounds whose ratios differ by more than this factor are flagged as disagreeing. */
export const DISAGREEMENT = 1.2;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function rows(collected: Collected): Row[] {
  const out: Row[] = [];
  for (const figure of FIGURES) {
    const bySystem = collected[figure.key];
    if (!bySystem) continue;
    const values = {} as Record<System, number | null>;
    const cpu = {} as Record<System, CpuUse | null>;
    for (const system of SYSTEMS) {
      const samples = bySystem[system] ?? [];
      values[system] = samples.length ? median(samples.map((s) => s.value)) : null;
      const cpus = samples.map((s) => s.cpu).filter((c): c is CpuUse => c !== null);
      cpu[system] = cpus.length ? { server: median(cpus.map((c) => c.server)), client: median(cpus.map((c) => c.client)) } : null;
    }
    const ratios = roundRatios(figure, bySystem);
    const ratio = ratios.length ? median(ratios) : null;
    const ratioRange: [number, number] | null = ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : null;
    out.push({ figure, values, cpu, ratio, ratioRange });
  }
  return out;
}

/**
 * Adds the (9) share rows: logd's single-record append rate (1) as a percentage of the bare line
 * server's, round by round (both measured in the same round).
 */
export function addCeilingShares(collected: Collected): void {
  const bare = collected['ceiling.append']?.logd ?? [];
  for (const durability of ['always', 'interval']) {
    for (const sample of collected[`append.${durability}`]?.logd ?? []) {
      const ceiling = bare.find((b) => b.round === sample.round);
      if (!ceiling) continue;
      ((collected[`ceiling.share.${durability}`] ??= {}).logd ??= []).push({ value: (100 * sample.value) / ceiling.value, cpu: null, round: sample.round });
    }
  }
}

/** logd against the best peer of the same round, for every round that has logd and a peer. */
function roundRatios(figure: Figure, bySystem: Partial<Record<System, RoundSample[]>>): number[] {
  const rounds = new Set((bySystem.logd ?? []).map((s) => s.round));
  const ratios: number[] = [];
  for (const round of rounds) {
    const at = (system: System): number | undefined => bySystem[system]?.find((s) => s.round === round)?.value;
    const logd = at('logd');
    const peers = SYSTEMS.filter((s) => s !== 'logd')
      .map(at)
      .filter((v): v is number => v !== undefined);
    if (logd === undefined || !peers.length) continue;
    ratios.push(figure.higherIsBetter ? logd / Math.max(...peers) : Math.min(...peers) / logd);
  }
  return ratios;
}

/** 1234567 -> "1.23M", 45678 -> "45.7k", 0.1234 -> "0.123". */
export function formatValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'records/s' || unit === 'writes/s') {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v.toFixed(0);
  }
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

const NAMES: Record<System, string> = { logd: 'logd', redis: 'Redis', nats: 'NATS' };

/** "1.37x (1.20-1.52)", with a "!" when the rounds disagree by more than 20%. */
export function formatRatio(row: Row): string {
  if (row.ratio === null || row.ratioRange === null) return '';
  const [lo, hi] = row.ratioRange;
  if (lo === hi) return `${row.ratio.toFixed(2)}x`;
  return `${row.ratio.toFixed(2)}x (${lo.toFixed(2)}-${hi.toFixed(2)})${hi / lo > DISAGREEMENT ? ' !' : ''}`;
}

function cpuCell(c: CpuUse | null): string {
  return c ? `${Math.round(c.server)}% / ${Math.round(c.client)}%` : '';
}

function cells(row: Row): string[] {
  const unit = row.figure.unit === 'records/s' ? 'rec/s' : row.figure.unit;
  return [`${row.figure.label} (${unit})`, ...SYSTEMS.map((s) => formatValue(row.values[s], row.figure.unit)), formatRatio(row)];
}

const HEADER = ['figure', ...SYSTEMS.map((s) => NAMES[s]), 'logd vs best peer (median of rounds, min-max)'];
const CPU_HEADER = ['figure (CPU, % of one core: server / client)', ...SYSTEMS.map((s) => NAMES[s])];

function cpuCells(row: Row): string[] {
  return [row.figure.label, ...SYSTEMS.map((s) => cpuCell(row.cpu[s]))];
}

/** Rows with CPU figures, once per timed section (figures measured together share one). */
function cpuRows(table: Row[]): Row[] {
  const same = (a: CpuUse | null, b: CpuUse | null): boolean => a?.server === b?.server && a?.client === b?.client;
  return table.filter((r, i) => SYSTEMS.some((s) => r.cpu[s]) && !(i > 0 && SYSTEMS.every((s) => same(r.cpu[s], table[i - 1]!.cpu[s]))));
}

/** Aligned plain-text tables for the terminal. */
export function textTables(table: Row[]): string {
  const render = (header: string[], body: string[][]): string => {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]?.length ?? 0)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  };
  return `${render(HEADER, table.map(cells))}\n\n${render(CPU_HEADER, cpuRows(table).map(cpuCells))}`;
}

export function markdownTables(table: Row[]): string {
  const render = (header: string[], body: string[][]): string =>
    [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  return `${render(HEADER, table.map(cells))}\n\n${render(CPU_HEADER, cpuRows(table).map(cpuCells))}`;
}
