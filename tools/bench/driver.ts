// What the workloads need from each system: the same operations, each done the way that system
// is best driven.
import type { Socket } from 'node:net';
import type { Follower } from './follower.ts';
import type { ReplyCounter } from './load.ts';
import type { BenchServer, System } from './servers.ts';
import type { LatencyRecorder } from './stamp.ts';

export interface AppendSpec {
  records: number;
  size: number;
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
  /** Records per request where the system has a batch append (logd APPEND); else 1. */
  batch: number;
}

export interface EncodedAppend {
  request: Buffer;
  /** Records the request appends. */
  records: number;
  /** Where each record's payload starts inside the request (for send timestamps). */
  payloadOffsets: number[];
}

export interface Driver {
  system: System;
  /** The client that drives each kind of workload, for the output. */
  clients: { append: string; read: string; follow: string };
  /** Set-up a fresh server needs before any workload (NATS: create the stream). */
  prepare?(server: BenchServer): Promise<void>;
  /** Writer connection number `connection` (0, 1, ...), ready to take append requests. */
  openWriter(server: BenchServer, connection: number): Promise<Socket>;
  /** One append request for writer connection number `connection`, pre-encoded. */
  encodeAppend(body: Buffer, batch: number, connection: number): EncodedAppend;
  /** Counts the replies to append requests. */
  appendReplies(): ReplyCounter;
  /**
   * Appends through the system's own standard benchmark client when it ships one; resolves with
   * the seconds taken and the CPU seconds that client used (outside this process).
   */
  standardAppend?(server: BenchServer, spec: AppendSpec): Promise<{ seconds: number; clientCpu: number }>;
  /** Records the server holds (to check that a workload did what it claims). */
  count(server: BenchServer): Promise<number>;
  /** Reads the log from its start the way a catching-up consumer does. */
  catchUp(server: BenchServer, records: number): Promise<Follower>;
  /** Follows the log live from its start (the log is empty when this is called). */
  follow(server: BenchServer, latency: LatencyRecorder | null): Promise<Follower>;
}
