// The machine a benchmark ran on, for the results' title and file names.
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  /** For file names: cpu model and cores, lowercase, dashes. */
  slug: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model.trim() ?? 'unknown cpu';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // keep os.cpus()'s model
  }
  const cores = cpus().length;
  const slug = `${cpu}-${cores}c`
    .toLowerCase()
    .replace(/\(r\)|\(tm\)|cpu|processor/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return { cpu, cores, kernel: release(), node: process.version, slug };
}
