// Measures one timed section of a workload: wall time, the server's CPU and the load
// generator's CPU (this process, plus any external client it ran).
import { ownCpuSeconds, processCpuSeconds } from './proc-stats.ts';
import type { BenchServer } from './servers.ts';

/** CPU use over a section, in percent of one core. */
export interface CpuUse {
  server: number;
  client: number;
}

export class Meter {
  private readonly start = process.hrtime.bigint();
  private readonly server0: number;
  private readonly own0 = ownCpuSeconds();
  private externalClientCpu = 0;

  constructor(private readonly server: BenchServer) {
    this.server0 = processCpuSeconds(server.pid);
  }

  /** CPU seconds used by a client process outside this one (e.g. redis-benchmark). */
  addClientCpu(seconds: number): void {
    this.externalClientCpu += seconds;
  }

  /** Ends the section: its wall seconds and CPU use. */
  stop(): { seconds: number; cpu: CpuUse } {
    const seconds = Number(process.hrtime.bigint() - this.start) / 1e9;
    const server = processCpuSeconds(this.server.pid) - this.server0;
    const client = ownCpuSeconds() - this.own0 + this.externalClientCpu;
    return { seconds, cpu: { server: (100 * server) / seconds, client: (100 * client) / seconds } };
  }
}
