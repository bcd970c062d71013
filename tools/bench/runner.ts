// Runs workloads round after round on fresh servers, the systems' order rotating each round, and
// collects every sample by figure and system.
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from './driver.ts';
import { logdDriver } from './drivers/logd.ts';
import { natsDriver } from './drivers/nats.ts';
import { redisDriver } from './drivers/redis.ts';
import { FIGURE_BY_KEY } from './figures.ts';
import { processRssBytes, RssSampler } from './proc-stats.ts';
import { formatTop } from './profile-top.ts';
import { formatValue, type Collected } from './report.ts';
import { setLogdNodeFlags, startServer, type System } from './servers.ts';
import type { Samples, Sizes, Workload } from './workloads.ts';

export const DRIVERS: Record<System, Driver> = { logd: logdDriver, redis: redisDriver, nats: natsDriver };

export interface RunOptions {
  workloads: Workload[];
  systems: readonly System[];
  sizes: Sizes;
  /** Also record each server's RSS at rest (after start) and its peak during each workload. */
  rss?: boolean;
  /** Run logd under --cpu-prof; its main-thread profiles land here as <workload>.<durability>.<round>.cpuprofile. */
  profileDir?: string;
  log(line: string): void;
}

/** Renames the main-thread profile that process `pid` wrote on exit. */
function keepProfile(dir: string, pid: number, name: string): void {
  const file = readdirSync(dir).find((f) => f.startsWith('CPU.') && f.includes(`.${pid}.0.`));
  if (file) renameSync(join(dir, file), join(dir, `${name}.cpuprofile`));
}

/** The profiles kept by a run, grouped by workload and durability (rounds merged). */
export function keptProfiles(dir: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((f) => !f.startsWith('CPU.') && f.endsWith('.cpuprofile'))) {
    const group = f.split('.').slice(0, 2).join('.');
    groups.set(group, [...(groups.get(group) ?? []), join(dir, f)]);
  }
  return groups;
}

/** The top self-time entries of logd's profiles, per workload. */
export function profileSummary(dir: string, top = 15): string {
  return [...keptProfiles(dir)].map(([group, files]) => `\nlogd CPU profile, ${group} (top ${top} by self time):\n${formatTop(files, top)}`).join('\n');
}

/** Longest a single trial may take before it counts as failed (the 5 GB log fill is the longest). */
const TRIAL_TIMEOUT_MS = 15 * 60_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  work.catch(() => undefined); // a trial that timed out may still fail later: nobody waits for it
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result in ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface RunResult {
  collected: Collected;
  /** One line per trial that failed; the other trials still ran. */
  failures: string[];
}

export async function runRounds(opts: RunOptions): Promise<RunResult> {
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    setLogdNodeFlags(['--cpu-prof', '--cpu-prof-dir', opts.profileDir]);
  }
  const collected: Collected = {};
  const failures: string[] = [];
  const { sizes, systems } = opts;
  for (let round = 0; round < sizes.rounds; round++) {
    const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
    for (const workload of opts.workloads) {
      if (workload.once && round > 0) continue;
      for (const durability of workload.durabilities) {
        for (const system of order) {
          if (!workload.runsOn(system, durability)) continue;
          const driver = DRIVERS[system];
          const server = await startServer(system, durability);
          const peak = new RssSampler(server.pid);
          try {
            await driver.prepare?.(server);
            const rest = processRssBytes(server.pid);
            const samples: Samples = await withTimeout(workload.run({ driver, server, durability, sizes }), TRIAL_TIMEOUT_MS);
            if (opts.rss) {
              samples['rss.rest'] = { value: rest / 1e6, cpu: null };
              samples[`rss.${workload.name}.${durability}`] = { value: peak.stop() / 1e6, cpu: null };
            }
            for (const [key, sample] of Object.entries(samples)) {
              ((collected[key] ??= {})[system] ??= []).push({ ...sample, round });
              const unit = FIGURE_BY_KEY.get(key)?.unit ?? '';
              opts.log(`round ${round + 1}/${sizes.rounds}  ${system.padEnd(5)}  ${key.padEnd(18)} ${formatValue(sample.value, unit)} ${unit}`);
            }
          } catch (err) {
            const failure = `round ${round + 1}: ${workload.name} (${durability}) on ${system}: ${(err as Error).message}`;
            failures.push(failure);
            opts.log(`FAILED ${failure}\n${server.output().slice(-2000)}`);
          } finally {
            peak.stop();
            await server.stop();
            if (opts.profileDir && system === 'logd') keepProfile(opts.profileDir, server.pid, `${workload.name}.${durability}.${round + 1}`);
          }
        }
      }
    }
  }
  return { collected, failures };
}
