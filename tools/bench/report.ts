// Turns the samples of all rounds into the table: medians per figure and system, logd's ratio
// to the best peer, the CPU each side used; as plain text for the terminal and as Markdown.
import type { CpuUse } from './meter.ts';
import { FIGURES, type Figure } from './figures.ts';
import type { Sample } from './workloads.ts';
import { SYSTEMS, type System } from './servers.ts';

/** samples[figure key][system] = one sample per round. */
export type Collected = Record<string, Partial<Record<System, Sample[]>>>;

export interface Row {
  figure: Figure;
  /** Median value per system; null where the system did not run it. */
  values: Record<System, number | null>;
  cpu: Record<System, CpuUse | null>;
  /** logd against the best peer, oriented so that > 1 means logd is better; null without both. */
  ratio: number | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
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
    const peers = SYSTEMS.filter((s) => s !== 'logd').map((s) => values[s]).filter((v): v is number => v !== null);
    const logd = values.logd;
    let ratio: number | null = null;
    if (logd !== null && peers.length) {
      ratio = figure.higherIsBetter ? logd / Math.max(...peers) : Math.min(...peers) / logd;
    }
    out.push({ figure, values, cpu, ratio });
  }
  return out;
}

/** 1234567 -> "1.23M", 45678 -> "45.7k", 0.1234 -> "0.123". */
export function formatValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'records/s') {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v.toFixed(0);
  }
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

const NAMES: Record<System, string> = { logd: 'logd', redis: 'Redis', nats: 'NATS' };

export function formatRatio(r: number | null): string {
  return r === null ? '' : `${r.toFixed(2)}x`;
}

function cpuCell(c: CpuUse | null): string {
  return c ? `${Math.round(c.server)}% / ${Math.round(c.client)}%` : '';
}

function cells(row: Row): string[] {
  const unit = row.figure.unit === 'records/s' ? 'rec/s' : row.figure.unit;
  return [`${row.figure.label} (${unit})`, ...SYSTEMS.map((s) => formatValue(row.values[s], row.figure.unit)), formatRatio(row.ratio)];
}

const HEADER = ['figure', ...SYSTEMS.map((s) => NAMES[s]), 'logd vs best peer'];
const CPU_HEADER = ['figure (CPU, % of one core: server / client)', ...SYSTEMS.map((s) => NAMES[s])];

function cpuCells(row: Row): string[] {
  return [row.figure.label, ...SYSTEMS.map((s) => cpuCell(row.cpu[s]))];
}

/** Rows with CPU figures, once per timed section (figures measured together share one). */
function cpuRows(table: Row[]): Row[] {
  const same = (a: CpuUse | null, b: CpuUse | null): boolean => a?.server === b?.server && a?.client === b?.client;
  return table.filter((r, i) => SYSTEMS.some((s) => r.cpu[s]) && !(i > 0 && SYSTEMS.every((s) => same(r.cpu[s], table[i - 1].cpu[s]))));
}

/** Aligned plain-text tables for the terminal. */
export function textTables(table: Row[]): string {
  const render = (header: string[], body: string[][]): string => {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  };
  return `${render(HEADER, table.map(cells))}\n\n${render(CPU_HEADER, cpuRows(table).map(cpuCells))}`;
}

export function markdownTables(table: Row[]): string {
  const render = (header: string[], body: string[][]): string => [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  return `${render(HEADER, table.map(cells))}\n\n${render(CPU_HEADER, cpuRows(table).map(cpuCells))}`;
}
