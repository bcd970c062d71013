// Runs workloads round after round on fresh servers, the systems' order rotating each round, and
// collects every sample by figure and system.
import type { Driver } from './driver.ts';
import { logdDriver } from './drivers/logd.ts';
import { natsDriver } from './drivers/nats.ts';
import { redisDriver } from './drivers/redis.ts';
import { FIGURE_BY_KEY } from './figures.ts';
import { processRssBytes, RssSampler } from './proc-stats.ts';
import { formatValue, type Collected } from './report.ts';
import { startServer, type System } from './servers.ts';
import type { Samples, Sizes, Workload } from './workloads.ts';

export const DRIVERS: Record<System, Driver> = { logd: logdDriver, redis: redisDriver, nats: natsDriver };

export interface RunOptions {
  workloads: Workload[];
  systems: readonly System[];
  sizes: Sizes;
  /** Also record each server's RSS at rest (after start) and its peak during each workload. */
  rss?: boolean;
  log(line: string): void;
}

export async function runRounds(opts: RunOptions): Promise<Collected> {
  const collected: Collected = {};
  const { sizes, systems } = opts;
  for (let round = 0; round < sizes.rounds; round++) {
    const order = systems.map((_, i) => systems[(i + round) % systems.length]);
    for (const workload of opts.workloads) {
      for (const durability of workload.durabilities) {
        for (const system of order) {
          if (!workload.runsOn(system, durability)) continue;
          const driver = DRIVERS[system];
          const server = await startServer(system, durability);
          try {
            await driver.prepare?.(server);
            const rest = processRssBytes(server.pid);
            const peak = new RssSampler(server.pid);
            const samples: Samples = await workload.run({ driver, server, durability, sizes });
            if (opts.rss) {
              samples[`rss.rest`] = { value: rest / 1e6, cpu: null };
              samples[`rss.${workload.name}.${durability}`] = { value: peak.stop() / 1e6, cpu: null };
            } else {
              peak.stop();
            }
            for (const [key, sample] of Object.entries(samples)) {
              ((collected[key] ??= {})[system] ??= []).push(sample);
              const unit = FIGURE_BY_KEY.get(key)?.unit ?? '';
              opts.log(`round ${round + 1}/${sizes.rounds}  ${system.padEnd(5)}  ${key.padEnd(18)} ${formatValue(sample.value, unit)} ${unit}`);
            }
          } catch (err) {
            throw new Error(`${workload.name} (${durability}) on ${system}: ${(err as Error).message}\n${server.output().slice(-2000)}`);
          } finally {
            await server.stop();
          }
        }
      }
    }
  }
  return collected;
}
