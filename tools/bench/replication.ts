// make bench-replication: what replication costs, measured on real processes over loopback.
//  - catch-up: a fresh follower copies a log of 1M 100-byte records from its owner (records/s),
//    under each fsync policy (the follower's durability follows its own --fsync);
//  - live lag: 20k records/s of MSG appended to the owner, each stamped with its send time; the
//    time until a READ-follow client sees it on the owner, and on the follower (append, owner
//    commit, REPLICATE stream, follower commit, READ), and the replication lag proper: for each
//    record, when the follower's reader got it minus when the owner's reader did: p50/p99/p99.9;
//  - cluster: 10 nodes each writing 100k records at once, time to converge and each writer's
//    egress per follower (replication-cluster.ts).
//
//   node --import tsx tools/bench/replication.ts [--quick] [--records N] [--rate R] [--seconds S]
//     [--nodes N] [--cluster-records N] [--only cluster]
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { logdDriver } from './drivers/logd.ts';
import { loadLogd } from './load.ts';
import { Meter } from './meter.ts';
import { clusterConvergence } from './replication-cluster.ts';
import { LOGD_LOG, startLogd, tempDir, type BenchServer } from './servers.ts';
import { LatencyRecorder, nowMicros } from './stamp.ts';
import { FULL, pacedAppend } from './workloads.ts';

const POLICIES = ['interval:1000', 'always'] as const;

/** A latency recorder that also notes when each record arrived, to pair the two readers' records. */
class Arrivals extends LatencyRecorder {
  readonly at: Float64Array;
  received = 0;

  constructor(capacity: number) {
    super(capacity);
    this.at = new Float64Array(capacity);
  }

  override record(buf: Buffer, pos: number): void {
    if (this.received < this.at.length) this.at[this.received++] = nowMicros();
    super.record(buf, pos);
  }
}
const WARMUP_SECONDS = 1;

/** An owner of the log `bench`, and a follower (id `replica`) whose participants file names it. */
async function pair(fsync: string): Promise<{ owner: BenchServer; startFollower: () => Promise<BenchServer>; stop: () => Promise<void> }> {
  const owner = await startLogd(fsync);
  const dir = tempDir('replica');
  const peers = join(dir, 'peers');
  writeFileSync(peers, `${LOGD_LOG} ${owner.host}:${owner.port}\n`);
  let follower: BenchServer | null = null;
  return {
    owner,
    startFollower: async () => (follower = await startLogd(fsync, join(dir, 'data'), ['--id', 'replica', '--peers', peers])),
    stop: async () => {
      await follower?.stop();
      await owner.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function catchUp(fsync: string, records: number): Promise<string> {
  const { owner, startFollower, stop } = await pair(fsync);
  try {
    await loadLogd({ host: owner.host, port: owner.port, log: LOGD_LOG, records, batch: 1000, size: 100, depth: 16, connections: 1 });
    const follower = await startFollower();
    const meter = new Meter(follower);
    const ownerMeter = new Meter(owner);
    const deadline = Date.now() + 300_000;
    while ((await logdDriver.count(follower)) < records) {
      if (Date.now() > deadline) throw new Error(`the follower did not catch up in 300 s:\n${follower.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { seconds, cpu } = meter.stop();
    const owned = ownerMeter.stop().cpu.server;
    const rate = Math.round(records / seconds).toLocaleString('en');
    return `catch-up ${records} x 100 B, fsync ${fsync}: ${rate} records/s (${seconds.toFixed(2)} s; CPU follower ${cpu.server.toFixed(0)}%, owner ${owned.toFixed(0)}%)`;
  } finally {
    await stop();
  }
}

async function liveLag(fsync: string, rate: number, seconds: number): Promise<string[]> {
  const { owner, startFollower, stop } = await pair(fsync);
  try {
    const follower = await startFollower();
    const total = Math.round(rate * (seconds + WARMUP_SECONDS));
    const onOwner = new Arrivals(total + 10);
    const onFollower = new Arrivals(total + 10);
    const warm = nowMicros() + WARMUP_SECONDS * 1e6;
    for (const l of [onOwner, onFollower]) l.ignoreBefore(warm);
    const readers = [await logdDriver.follow(owner, onOwner), await logdDriver.follow(follower, onFollower)];
    try {
      const ctx = { driver: logdDriver, server: owner, durability: 'interval' as const, sizes: FULL };
      const appended = await pacedAppend(ctx, rate, seconds + WARMUP_SECONDS);
      await Promise.all(readers.map((r) => r.until(appended)));
    } finally {
      for (const r of readers) r.close();
    }
    // Both readers get the same records in the same order: record i reached each at at[i].
    const lags: number[] = [];
    for (let i = 0; i < Math.min(onOwner.received, onFollower.received); i++) {
      if (onOwner.at[i]! >= warm) lags.push((onFollower.at[i]! - onOwner.at[i]!) / 1000);
    }
    lags.sort((a, b) => a - b);
    const at = (p: number): number => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN;
    const figures = (what: string, [p50, p99, p999]: readonly [number, number, number], n: number) =>
      `live ${rate / 1000}k records/s, fsync ${fsync}, ${what}: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, p99.9 ${p999.toFixed(2)} ms (${n} samples)`;
    const ps = [0.5, 0.99, 0.999] as const;
    return [
      figures('append -> readable on the owner', onOwner.percentiles(ps), onOwner.count),
      figures('append -> readable on the follower', onFollower.percentiles(ps), onFollower.count),
      figures('replication lag (readable on the follower - on the owner)', [at(0.5), at(0.99), at(0.999)], lags.length),
    ];
  } finally {
    await stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      rate: { type: 'string', default: '20000' },
      seconds: { type: 'string' },
      nodes: { type: 'string', default: '10' },
      'cluster-records': { type: 'string' },
      only: { type: 'string' },
    },
  });
  const clusterRecords = Number(values['cluster-records'] ?? (values.quick ? 10_000 : 100_000));
  const records = Number(values.records ?? (values.quick ? 20_000 : 1_000_000));
  const seconds = Number(values.seconds ?? (values.quick ? 2 : 10));
  const rate = Number(values.rate);
  console.log(`# logd replication benchmark (${new Date().toISOString()}, node ${process.version})`);
  if (values.only !== 'cluster') {
    for (const fsync of POLICIES) console.log(await catchUp(fsync, records));
    for (const fsync of POLICIES) for (const line of await liveLag(fsync, rate, seconds)) console.log(line);
  }
  for (const line of await clusterConvergence(Number(values.nodes), clusterRecords, POLICIES[0])) console.log(line);
}

await main();
