// `make bench-server`: the logd server alone (issue 3's figures): one connection, 100-byte
// payloads, pipelined 512 deep: MSG and APPEND (100 per command) records/s under `always` and
// `interval:1000`; READ of 1M records; follow latency at 5k and 20k records/s; RSS at rest and
// under load. Medians of 3 rounds (1 with --quick, at small sizes).
//
//   node --import tsx tools/bench/server.ts [--quick] [--rounds N] [--profile DIR]   (DIR: logd's CPU profiles)
import { parseArgs } from 'node:util';
import { formatValue, median, rows, type Collected } from './report.ts';
import { profileSummary, runRounds } from './runner.ts';
import { FULL, QUICK, WORKLOADS, type Sizes } from './workloads.ts';
import { describeMachine } from './machine.ts';

/** Issue 3's targets on a 2-core machine. */
const TARGETS: Record<string, { min?: number; max?: number }> = {
  'append.interval': { min: 400_000 },
  'batch.interval': { min: 1_000_000 },
  read: { min: 1_500_000 },
  'follow5k.p99': { max: 2 },
};

const KEYS = [
  'append.always',
  'append.interval',
  'batch.always',
  'batch.interval',
  'read',
  'read.mb',
  'follow5k.p50',
  'follow5k.p99',
  'follow20k.p50',
  'follow20k.p99',
];

function rssLines(collected: Collected): string[] {
  const medianOf = (key: string): number => median((collected[key]?.logd ?? []).map((s) => s.value));
  const underLoad = Object.keys(collected).filter((k) => k.startsWith('rss.') && k !== 'rss.rest');
  const peak = underLoad.map((k) => [k.slice(4), medianOf(k)] as const).sort((a, b) => b[1] - a[1]);
  return [
    `RSS at rest (after start, empty log): ${formatValue(medianOf('rss.rest'), 'MB')} MB`,
    `RSS under load (peak during each workload): ${peak.map(([k, v]) => `${k} ${formatValue(v, 'MB')} MB`).join(', ')}`,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, profile: { type: 'string' } } });
  const sizes: Sizes = { ...(values.quick ? QUICK : FULL) };
  if (values.rounds) sizes.rounds = Number(values.rounds);
  const workloads = WORKLOADS.filter((w) => ['append', 'batch', 'read', 'follow'].includes(w.name));
  const { collected, failures } = await runRounds({
    workloads,
    systems: ['logd'],
    sizes,
    rss: true,
    profileDir: values.profile,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const machine = describeMachine();
  const lines = [`logd server, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}; ${sizes.rounds} round(s), medians`, ''];
  for (const row of rows(collected).filter((r) => KEYS.includes(r.figure.key))) {
    const v = row.values.logd;
    const target = TARGETS[row.figure.key];
    let verdict = '';
    if (target && v !== null) {
      const met = target.min !== undefined ? v >= target.min : v <= target.max!;
      verdict = `  target ${target.min !== undefined ? `>= ${formatValue(target.min, row.figure.unit)}` : `< ${target.max}`}: ${met ? 'met' : 'MISSED'}`;
    }
    const cpu = row.cpu.logd ? `  (CPU server ${Math.round(row.cpu.logd.server)}%, client ${Math.round(row.cpu.logd.client)}%)` : '';
    lines.push(`${`${row.figure.label}:`.padEnd(52)} ${formatValue(v, row.figure.unit).padStart(7)} ${row.figure.unit}${cpu}${verdict}`);
  }
  lines.push('', ...rssLines(collected));
  console.log(lines.join('\n'));
  if (values.profile) console.log(profileSummary(values.profile));
  if (failures.length) {
    console.log(`\n${failures.length} trial(s) failed:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
