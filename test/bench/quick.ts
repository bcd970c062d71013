// `make bench-quick` end to end: the harness starts logd, Redis and NATS, runs every workload at
// small sizes, and writes a table where every figure has a positive number for each system that
// can run it. Checks that the harness works, not the speed.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIGURES } from '../../tools/bench/figures.ts';

const COMPARE = fileURLToPath(new URL('../../tools/bench/compare.ts', import.meta.url));

function runQuick(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', COMPARE, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The number a table cell shows: "1.23M" -> 1230000, "45.7k" -> 45700, "0.5" -> 0.5; NaN for n/a. */
function cellValue(cell: string): number {
  const m = /^([\d.]+)([kM]?)$/.exec(cell.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'k' ? 1e3 : 1);
}

test('bench-quick runs every workload against logd, Redis and NATS and writes the table and chart', async (t) => {
  t.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  try {
    const run = await runQuick(out);
    t.is(run.code, 0, run.stderr.slice(-3000));
    const files = readdirSync(out);
    const md = files.find((f) => f.endsWith('.md'));
    const svg = files.find((f) => f.endsWith('.svg'));
    t.truthy(md, `no Markdown in ${files.join(', ')}`);
    t.truthy(svg, `no SVG in ${files.join(', ')}`);
    t.regex(readFileSync(join(out, svg!), 'utf8'), /^<svg[\s\S]*<rect[\s\S]*<\/svg>\n$/);
    const text = readFileSync(join(out, md!), 'utf8');
    t.regex(text, /Machine: .+, \d+ cores/);
    const mainTable = text.slice(0, text.indexOf('| figure (CPU'));
    t.true(mainTable.length > 0 && text.includes('| figure (CPU'), 'the CPU table is missing');
    const rows = new Map(
      mainTable
        .split('\n')
        .filter((l) => l.startsWith('| ('))
        .map((l) => {
          const cells = l
            .split('|')
            .slice(1, -1)
            .map((c) => c.trim());
          return [cells[0]!.replace(/ \([^()]*\)$/, ''), cells] as const;
        }),
    );
    for (const figure of FIGURES) {
      const cells = rows.get(figure.label);
      t.truthy(cells, `row missing: ${figure.label}`);
      const [, logdCell = '', redisCell = '', natsCell = ''] = cells ?? [];
      t.true(cellValue(logdCell) > 0, `${figure.label}: logd ${logdCell}`);
      const logdOnly = figure.alone === true;
      if (!logdOnly) t.true(cellValue(redisCell) > 0, `${figure.label}: Redis ${redisCell}`);
      if (!logdOnly && !figure.key.endsWith('.always')) t.true(cellValue(natsCell) > 0, `${figure.label}: NATS ${natsCell}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
