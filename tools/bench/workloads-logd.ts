// (8) logd-only workloads: replication catch-up; restart time of a large log (after SIGKILL and
// after a clean stop): wall time from spawn to `listening`, and the open time logd reports; RSS
// with a small and a large log (it should stay flat).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { payload, pipelineAll } from './load.ts';
import { logdDriver, readFrom } from './drivers/logd.ts';
import { processRssBytes, RssSampler } from './proc-stats.ts';
import { Meter } from './meter.ts';
import { LOGD_LOG, startCeiling, startLogd, tempDir, type BenchServer } from './servers.ts';
import { syncedAppends } from './disk.ts';
import type { Sample, Workload, WorkloadContext } from './workloads.ts';

const FSYNC = 'interval:1000';
const BATCH = 100;

/** Fills the log quickly: APPEND of 100 records, pipelined. */
async function fillLog(server: BenchServer, records: number): Promise<void> {
  const enc = logdDriver.encodeAppend(payload(100), BATCH, 0);
  const socket = await logdDriver.openWriter(server, 0);
  try {
    await pipelineAll([socket], [enc.request], Math.ceil(records / BATCH), 64, logdDriver.appendReplies);
  } finally {
    socket.destroy();
  }
}

/** Starts logd on an existing directory; the wall seconds to `listening` and the open time it logs. */
async function timedStart(dir: string, args: string[] = []): Promise<{ server: BenchServer; wall: Sample; reported: number }> {
  const start = process.hrtime.bigint();
  const server = await startLogd(FSYNC, dir, args);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const m = /started in (\d+) ms/.exec(server.output());
  return { server, wall: { value: wall, cpu: null }, reported: m ? Number(m[1]) / 1000 : NaN };
}

async function restart(ctx: WorkloadContext): Promise<Record<string, Sample>> {
  const records = ctx.sizes.recovery;
  await fillLog(ctx.server, records);
  await ctx.server.kill();
  const afterKill = await timedStart(ctx.server.dir);
  const head = await logdDriver.count(afterKill.server);
  await afterKill.server.stop();
  if (head < records) throw new Error(`restart after kill: head ${head} of ${records}`);
  const afterStop = await timedStart(ctx.server.dir);
  await afterStop.server.stop();
  return {
    'restart.kill': afterKill.wall,
    'restart.kill.open': { value: afterKill.reported, cpu: null },
    'restart.clean': afterStop.wall,
    'restart.clean.open': { value: afterStop.reported, cpu: null },
  };
}

async function headOrZero(server: BenchServer): Promise<number> {
  try {
    return await logdDriver.count(server);
  } catch {
    return 0; // the replica does not hold the log yet
  }
}

async function replication(ctx: WorkloadContext): Promise<Record<string, Sample>> {
  const records = ctx.sizes.replication;
  await fillLog(ctx.server, records);
  const dir = tempDir('replica');
  const peers = join(dir, 'peers');
  writeFileSync(peers, `${LOGD_LOG} ${ctx.server.host}:${ctx.server.port}\n`);
  const data = join(dir, 'data');
  const replica = await startLogd(FSYNC, data, ['--id', 'replica', '--peers', peers]);
  try {
    const meter = new Meter(replica);
    const deadline = Date.now() + 120_000;
    while ((await headOrZero(replica)) < records) {
      if (Date.now() > deadline) throw new Error(`replica did not catch up in 120 s:\n${replica.output().slice(-1000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { seconds, cpu } = meter.stop();
    return { replication: { value: records / seconds, cpu } };
  } finally {
    await replica.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes a 100-byte record takes in a chunk (its REC frame), near enough to size a log. */
const FRAME_BYTES = 143;
/** Records read and appended while RSS is watched. */
const FOOTPRINT_WORK = 100_000;

/**
 * RSS of a fresh logd after opening a log of each size, and its peak while reading the last
 * records and appending more: RSS should stay flat however large the log is.
 */
async function footprint(ctx: WorkloadContext): Promise<Record<string, Sample>> {
  const out: Record<string, Sample> = {};
  let running = ctx.server;
  let records = 0;
  for (const [name, bytes] of [
    ['small', ctx.sizes.footprintSmall],
    ['large', ctx.sizes.footprintLarge],
  ] as const) {
    const target = Math.ceil(bytes / FRAME_BYTES);
    await fillLog(running, target - records);
    records = target;
    await running.halt();
    running = await startLogd(FSYNC, ctx.server.dir);
    await new Promise((resolve) => setTimeout(resolve, 500));
    out[`footprint.${name}.rest`] = { value: processRssBytes(running.pid) / 1e6, cpu: null };
    const peak = new RssSampler(running.pid, 20);
    const work = Math.min(FOOTPRINT_WORK, records);
    const reader = await readFrom(running, records - work + 1, work);
    await Promise.all([reader.until(work), fillLog(running, work)]);
    reader.close();
    records += work;
    out[`footprint.${name}.load`] = { value: peak.stop() / 1e6, cpu: null };
  }
  await running.halt();
  return out;
}

/** (9) The same load as (1) against the bare line server (ceiling-server.ts): what a MSG costs without logd. */
async function ceiling(ctx: WorkloadContext): Promise<Record<string, Sample>> {
  const bare = await startCeiling();
  const enc = logdDriver.encodeAppend(payload(100), 1, 0);
  const socket = await logdDriver.openWriter(bare, 0);
  try {
    const meter = new Meter(bare);
    const seconds = await pipelineAll([socket], [enc.request], ctx.sizes.append, 512, logdDriver.appendReplies);
    return { 'ceiling.append': { value: ctx.sizes.append / seconds, cpu: meter.stop().cpu } };
  } finally {
    socket.destroy();
    await bare.stop();
  }
}

/** (9) The disk under logd's `always` pattern: small and large sequential appends, each fdatasync'd. */
async function disk(ctx: WorkloadContext): Promise<Record<string, Sample>> {
  const seconds = ctx.sizes.followSeconds / 2;
  return {
    'disk.syncs': { value: syncedAppends(4096, seconds).writesPerSecond, cpu: null },
    'disk.mb': { value: syncedAppends(1 << 20, seconds).mbPerSecond, cpu: null },
  };
}

const logdOnly = (name: string, run: Workload['run'], once = false): Workload => ({
  name,
  durabilities: ['interval'],
  runsOn: (system) => system === 'logd',
  once,
  run,
});

export const LOGD_ONLY_WORKLOADS: Workload[] = [
  logdOnly('replication', replication),
  logdOnly('restart', restart, true),
  logdOnly('footprint', footprint, true),
  logdOnly('ceiling', ceiling),
  logdOnly('disk', disk),
];
