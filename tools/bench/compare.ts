// `make bench` / `make bench-quick`: logd, Redis Streams and NATS JetStream side by side on this
// machine, in one run: every workload on a fresh server of each system, systems alternating,
// several rounds, medians; one table printed and written (Markdown + SVG) into bench/results/.
//
//   node --import tsx tools/bench/compare.ts [--quick] [--out DIR] [--rounds N] [--only read,follow,...]
//        [--systems logd,redis,nats] [--profile DIR]   (DIR: logd's CPU profiles, top entries printed)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePeersInstalled, versionOf } from './install.ts';
import { describeMachine, type Machine } from './machine.ts';
import { addCeilingShares, markdownTables, rows, textTables, type Row } from './report.ts';
import { DRIVERS, profileSummary, runRounds } from './runner.ts';
import { DURABILITY_FLAGS, SYSTEMS } from './servers.ts';
import { barChart } from './svg.ts';
import { FULL, QUICK, WORKLOADS, type Sizes } from './workloads.ts';
import { LOGD_ONLY_WORKLOADS } from './workloads-logd.ts';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function notes(machine: Machine, sizes: Sizes, quick: boolean): string {
  const redis = versionOf('redis-server', ['--version']);
  const nats = versionOf('nats-server', ['--version']);
  const commit = versionOf('git', ['describe', '--always', '--dirty']);
  const clients = SYSTEMS.map((s) => {
    const c = DRIVERS[s].clients;
    return `- ${s}: append ${c.append}; read ${c.read}; follow ${c.follow}`;
  });
  const durability = (['always', 'interval'] as const).map(
    (d) =>
      `- ${d === 'always' ? 'fsync always' : '~1 s sync'}: ${SYSTEMS.map((s) => `${s} ${DURABILITY_FLAGS[d][s] ?? 'n/a (no per-message fsync in this version)'}`).join('; ')}`,
  );
  return [
    `logd at commit ${commit}${commit.endsWith('-dirty') ? ' (the working tree had uncommitted changes)' : ''}.`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}; ${redis}; ${nats}.`,
    `Mode: ${quick ? 'quick (small sizes, checks the harness, not the speed)' : 'full'}; ${sizes.rounds} round(s), median shown; ` +
      `systems alternate within each round; every workload starts a fresh server in a temp directory on loopback.`,
    `Sizes: 100-byte payloads unless said; append ${sizes.append}, 16-conn ${sizes.append16}, batched ${sizes.batch}, ` +
      `read ${sizes.read}, follow ${sizes.followSeconds} s per rate after ${sizes.followWarmupSeconds} s of warm-up, ${sizes.followers} followers x ${sizes.fanout} records, ` +
      `1 KiB x ${sizes.kib}, 64 KiB x ${sizes.kib64}, restart of ${sizes.recovery} records, replication of ${sizes.replication}, ` +
      `small and large log ${sizes.footprintSmall / 1e6} MB and ${sizes.footprintLarge / 1e6} MB (restart and log sizes: first round only).`,
    '',
    'Durability (matched):',
    ...durability,
    '',
    'Clients:',
    ...clients,
    "- (3) for Redis and NATS is their pipelined single-record append (neither has a batch append), so their figures there repeat (1)'s shape.",
    '- "logd vs best peer": logd / best peer for rates, best peer / logd for latency, memory and time; above 1.00x logd is better.',
    '  The ratio is the median of the per-round ratios (each round runs the systems back to back), with the smallest and largest',
    '  round in brackets; "!" marks rows whose rounds disagree by more than 20% (treat them as noise-bound).',
    '- (9) places logd against the physical ceilings of this machine in the same run: the same load generator against a bare',
    "  node:net server that parses the lines and answers OK <n> without storage (the share row is how much of a MSG's cost is",
    "  the transport and Node itself), and the disk's own rate for sequential appends with an fdatasync after each.",
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      systems: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const sizes: Sizes = { ...(values.quick ? QUICK : FULL) };
  if (values.rounds) sizes.rounds = Number(values.rounds);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const workloads = [...WORKLOADS, ...LOGD_ONLY_WORKLOADS].filter((w) => !only || only.has(w.name));
  ensurePeersInstalled(log);
  const machine = describeMachine();
  const started = Date.now();
  const systems = values.systems ? SYSTEMS.filter((s) => values.systems!.split(',').includes(s)) : SYSTEMS;
  const { collected, failures } = await runRounds({ workloads, systems, sizes, log, profileDir: values.profile });
  addCeilingShares(collected);
  const table: Row[] = rows(collected);
  const date = new Date().toISOString().slice(0, 10);
  const title = `logd vs Redis Streams vs NATS JetStream, ${date}, ${machine.cpu} (${machine.cores} cores)${values.quick ? ', quick' : ''}`;
  const about = notes(machine, sizes, values.quick);
  console.log(`${title}\n\n${textTables(table)}\n\n${about}\n\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const dir = values.out ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const write = (base: string): void => {
    writeFileSync(join(dir, `${base}.svg`), barChart(title, table));
    writeFileSync(join(dir, `${base}.md`), `# ${title}\n\n${markdownTables(table)}\n\n![chart](${base}.svg)\n\n${about}\n`);
  };
  const base = `${date}-${machine.slug}${values.quick ? '-quick' : ''}`;
  write(base);
  // A full run with every workload is also the latest, which the README shows.
  if (!values.quick && !only && !values.systems) write('latest');
  console.log(`written: ${join(dir, `${base}.md`)} and .svg`);
  if (values.profile) console.log(profileSummary(values.profile));
  if (failures.length) {
    console.log(`\n${failures.length} trial(s) failed (their cells are medians of the other rounds, or n/a):\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
