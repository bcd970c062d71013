// The side-by-side workloads of issue 6, each run on a fresh server of one system. A workload
// returns samples keyed by figure (see figures.ts), each with the CPU use of its timed section.
import type { Driver } from './driver.ts';
import type { Follower } from './follower.ts';
import { payload, pipelineAll } from './load.ts';
import { Meter, type CpuUse } from './meter.ts';
import { RssSampler } from './proc-stats.ts';
import type { BenchServer, Durability, System } from './servers.ts';
import { LatencyRecorder, nowMicros, writeStamp } from './stamp.ts';

export interface Sizes {
  rounds: number;
  append: number;
  append16: number;
  batch: number;
  read: number;
  followSeconds: number;
  followWarmupSeconds: number;
  followers: number;
  fanout: number;
  kib: number;
  kib64: number;
  recovery: number;
  replication: number;
  /** Log sizes in bytes for the RSS-flatness check (RSS should not grow with the log). */
  footprintSmall: number;
  footprintLarge: number;
}

export const FULL: Sizes = {
  rounds: 3,
  append: 1_000_000,
  append16: 1_000_000,
  batch: 2_000_000,
  read: 1_000_000,
  followSeconds: 5,
  followWarmupSeconds: 3,
  followers: 100,
  fanout: 100_000,
  kib: 200_000,
  kib64: 5_000,
  recovery: 10_000_000,
  replication: 1_000_000,
  footprintSmall: 100e6,
  footprintLarge: 5e9,
};

export const QUICK: Sizes = {
  rounds: 1,
  append: 30_000,
  append16: 30_000,
  batch: 100_000,
  read: 30_000,
  followSeconds: 1,
  followWarmupSeconds: 0.2,
  followers: 100,
  fanout: 2_000,
  kib: 5_000,
  kib64: 200,
  recovery: 100_000,
  replication: 20_000,
  footprintSmall: 1e6,
  footprintLarge: 20e6,
};

export interface Sample {
  value: number;
  cpu: CpuUse | null;
}
export type Samples = Record<string, Sample>;

export interface WorkloadContext {
  driver: Driver;
  server: BenchServer;
  durability: Durability;
  sizes: Sizes;
}

export interface Workload {
  name: string;
  durabilities: Durability[];
  /** Systems that can run it at a durability (NATS has no per-message fsync). */
  runsOn(system: System, durability: Durability): boolean;
  /** Run in the first round only (too long to repeat). */
  once?: boolean;
  run(ctx: WorkloadContext): Promise<Samples>;
}

const PIPELINE_DEPTH = 512;
const SIZE = 100;
const anySystem = (): boolean => true;
const notNatsAlways = (system: System, durability: Durability): boolean => !(system === 'nats' && durability === 'always');

interface AppendShape {
  records: number;
  size: number;
  connections: number;
  depth: number;
  batch: number;
}

/**
 * Appends as fast as the shape allows; returns records/s with its CPU use, and checks the count.
 * `standard`: through the system's own benchmark client where it has one (else our pipeline).
 */
async function append(ctx: WorkloadContext, shape: AppendShape, standard = true): Promise<Sample> {
  const { driver, server } = ctx;
  const before = await driver.count(server);
  let sample: Sample;
  if (standard && driver.standardAppend) {
    const meter = new Meter(server);
    const { seconds, clientCpu } = await driver.standardAppend(server, shape);
    meter.addClientCpu(clientCpu);
    sample = { value: shape.records / seconds, cpu: meter.stop().cpu };
  } else {
    const body = payload(shape.size);
    const encoded = Array.from({ length: shape.connections }, (_, i) => driver.encodeAppend(body, shape.batch, i));
    const sockets = await Promise.all(encoded.map((_, i) => driver.openWriter(server, i)));
    try {
      const meter = new Meter(server);
      const perRequest = encoded[0]!.records;
      const requests = Math.ceil(shape.records / perRequest);
      const seconds = await pipelineAll(
        sockets,
        encoded.map((e) => e.request),
        requests,
        shape.depth,
        () => driver.appendReplies(),
      );
      sample = { value: (requests * perRequest) / seconds, cpu: meter.stop().cpu };
    } finally {
      for (const s of sockets) s.destroy();
    }
  }
  const stored = (await driver.count(server)) - before;
  if (stored < shape.records) throw new Error(`${driver.system}: ${stored} records stored of ${shape.records} appended`);
  return sample;
}

/** Fills the log without measuring (the fastest path each system has). */
function fill(ctx: WorkloadContext, records: number, size: number): Promise<Sample> {
  return append(ctx, { records, size, connections: 1, depth: PIPELINE_DEPTH, batch: 100 });
}

/** Reads `records` from the start; returns records/s and payload MB/s with their CPU use. */
async function catchUp(ctx: WorkloadContext, records: number, size: number): Promise<[Sample, Sample]> {
  const meter = new Meter(ctx.server);
  const follower = await ctx.driver.catchUp(ctx.server, records);
  try {
    await follower.until(records);
  } finally {
    follower.close();
  }
  const { seconds, cpu } = meter.stop();
  return [
    { value: records / seconds, cpu },
    { value: (records * size) / seconds / 1e6, cpu },
  ];
}

/** Appends at `rate` records/s with send stamps, one write per timer tick, for `seconds`. */
export async function pacedAppend(ctx: WorkloadContext, rate: number, seconds: number): Promise<number> {
  const enc = ctx.driver.encodeAppend(payload(SIZE), 1, 0);
  const writer = await ctx.driver.openWriter(ctx.server, 0);
  const replies = ctx.driver.appendReplies();
  let acked = 0;
  writer.on('data', (chunk: Buffer) => (acked += replies.count(chunk)));
  const total = Math.round(rate * seconds);
  const len = enc.request.length;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    if (due > sent) {
      const buf = Buffer.allocUnsafe((due - sent) * len);
      for (let i = 0; i < due - sent; i++) {
        enc.request.copy(buf, i * len);
        writeStamp(buf, i * len + enc.payloadOffsets[0]!);
      }
      writer.write(buf);
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (acked < total) await new Promise((resolve) => setTimeout(resolve, 5));
  writer.destroy();
  return total;
}

const appendWorkload = (name: string, shape: (s: Sizes) => AppendShape): Workload => ({
  name,
  durabilities: ['always', 'interval'],
  runsOn: notNatsAlways,
  async run(ctx) {
    return { [`${name}.${ctx.durability}`]: await append(ctx, shape(ctx.sizes)) };
  },
});

/** Append `records` of `size` bytes (1 conn, 512 deep), then read them all back from the start. */
const appendRead = (name: string, appendKey: string, readKeys: [string, string | null], records: (s: Sizes) => number, size: number): Workload => ({
  name,
  durabilities: ['interval'],
  runsOn: anySystem,
  async run(ctx) {
    const n = records(ctx.sizes);
    const out: Samples = {};
    out[appendKey] = await append(ctx, { records: n, size, connections: 1, depth: PIPELINE_DEPTH, batch: 1 });
    const [recs, mb] = await catchUp(ctx, n, size);
    out[readKeys[0]] = recs;
    if (readKeys[1]) out[readKeys[1]] = mb;
    return out;
  },
});

export const WORKLOADS: Workload[] = [
  appendWorkload('append', (s) => ({ records: s.append, size: SIZE, connections: 1, depth: PIPELINE_DEPTH, batch: 1 })),
  appendWorkload('append16', (s) => ({ records: s.append16, size: SIZE, connections: 16, depth: 32, batch: 1 })),
  appendWorkload('batch', (s) => ({ records: s.batch, size: SIZE, connections: 1, depth: PIPELINE_DEPTH, batch: 100 })),
  {
    name: 'read',
    durabilities: ['interval'],
    runsOn: anySystem,
    async run(ctx) {
      await fill(ctx, ctx.sizes.read, SIZE);
      const [recs, mb] = await catchUp(ctx, ctx.sizes.read, SIZE);
      return { read: recs, 'read.mb': mb };
    },
  },
  {
    name: 'follow',
    durabilities: ['interval'],
    runsOn: anySystem,
    async run(ctx) {
      const out: Samples = {};
      let appended = 0;
      const follower = await ctx.driver.follow(ctx.server, null);
      try {
        for (const rate of [5_000, 20_000]) {
          const latency = new LatencyRecorder(Math.ceil(rate * (ctx.sizes.followSeconds + ctx.sizes.followWarmupSeconds)) + 10);
          // Samples of the warm-up are dropped: only stamps after it are kept.
          latency.ignoreBefore(nowMicros() + ctx.sizes.followWarmupSeconds * 1e6);
          follower.latency = latency;
          const meter = new Meter(ctx.server);
          appended += await pacedAppend(ctx, rate, ctx.sizes.followSeconds + ctx.sizes.followWarmupSeconds);
          await follower.until(appended);
          const { cpu } = meter.stop();
          const [p50, p99, p999] = latency.percentiles([0.5, 0.99, 0.999] as const);
          const key = `follow${rate / 1000}k`;
          out[`${key}.p50`] = { value: p50, cpu };
          out[`${key}.p99`] = { value: p99, cpu };
          out[`${key}.p999`] = { value: p999, cpu };
        }
      } finally {
        follower.close();
      }
      return out;
    },
  },
  {
    name: 'fanout',
    durabilities: ['interval'],
    runsOn: anySystem,
    async run(ctx) {
      const { followers: count, fanout: records } = ctx.sizes;
      const followers: Follower[] = [];
      try {
        for (let i = 0; i < count; i++) followers.push(await ctx.driver.follow(ctx.server, null));
        const rss = new RssSampler(ctx.server.pid);
        const meter = new Meter(ctx.server);
        // The producer is the same in-process pipeline for every system, beside the followers.
        const appended = append(ctx, { records, size: SIZE, connections: 1, depth: PIPELINE_DEPTH, batch: 1 }, false);
        await Promise.all([appended, ...followers.map((f) => f.until(records))]);
        const { seconds, cpu } = meter.stop();
        return {
          'fanout.rate': { value: (count * records) / seconds, cpu },
          'fanout.rss': { value: rss.stop() / 1e6, cpu: null },
        };
      } finally {
        for (const f of followers) f.close();
      }
    },
  },
  appendRead('kib', 'append1k', ['read1k', null], (s) => s.kib, 1024),
  appendRead('kib64', 'append64k', ['read64k', null], (s) => s.kib64, 65536),
];
