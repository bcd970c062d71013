// Keeps one replica log following: picks a source for each session (the owner when it is
// reachable, else a relay holding a longer prefix), runs it, and restarts it with backoff when it
// ends (supervisor.ts). A divergence stops the replica for good: its history is kept, never mixed
// with the source's, and the mark survives a restart (diverged-marks.ts). A source that trimmed past this replica's head (or a new replica of a
// trimmed log) makes it drop what it holds, which the owner dropped too, and continue from the
// source's first id: a copy never holds a gap.
import type { DialOptions } from '../wire/dial.ts';
import type { ReplicaLog } from '../log-access.ts';
import type { Logger } from '../logger.ts';
import { stampText } from '../../protocol/frame.ts';
import { ownerOf } from '../../protocol/names.ts';
import type { DivergedMarks } from './diverged-marks.ts';
import { follow, type Source } from './follower.ts';
import type { ReplicaStatus, ReplicationState } from './state.ts';
import { RECONNECT, supervise } from './supervisor.ts';

export interface ReplicaDeps {
  nodeId: string;
  state: ReplicationState;
  logger: Logger;
  /** This node's token and TLS settings for its peers. */
  dial: DialOptions;
  /** The largest record taken from a source (--max-msg). */
  maxMsg: number;
  /** Divergences recorded before this start. */
  marks: DivergedMarks;
  /** The source for the next session, given this replica's head; null when none is known. */
  /** `avoid`: participants never to use as a relay for this replica (caught claiming records they did not send). */
  pickSource(log: string, head: number, avoid: ReadonlySet<string>): Source | null;
}

export class Replica {
  readonly status: ReplicaStatus = { source: '', state: 'connecting', sourceHead: null };
  private readonly controller = new AbortController();
  private session: AbortController | null = null;
  private sessions = 0;
  /** Sources caught claiming records they did not send: their claimed heads do not count, and they are no relay (follower.ts). */
  private readonly distrusted = new Set<string>();
  /** The last problem logged, so that a retry failing the same way is not logged again. */
  private logged = '';
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly log: ReplicaLog,
    private readonly deps: ReplicaDeps,
  ) {}

  start(): void {
    // Shown diverged from the first moment if it was (runSession checks the mark still fits).
    if (this.deps.marks.get(this.log.name)) this.status.state = 'diverged';
    this.deps.state.replicas.set(this.log.name, this.status);
    const signal = this.controller.signal;
    this.running = supervise(() => this.runSession(), {
      ...RECONNECT,
      signal,
      onCrash: (err) => this.deps.logger(`replica ${this.log.name}: ${(err as Error).stack ?? String(err)}`),
    });
  }

  /** False once the current source claimed records it did not send: its claimed heads do not count. */
  get trustsClaims(): boolean {
    return !this.distrusted.has(this.status.source);
  }

  /** Stops following; resolves once every record already received is stored. */
  stop(): Promise<void> {
    this.controller.abort();
    this.deps.state.replicas.delete(this.log.name);
    return this.running;
  }

  /** Ends the current session so that the next one picks its source again (the owner is back). */
  reconnect(): void {
    this.session?.abort();
  }

  /**
   * The source starts the log at `first`, past this copy's head + 1: continue from there, only on
   * the owner's word: a relay may have trimmed more than the owner did (or lie), so its `ERR gone`
   * only ends the session (the owner may still hold what the relay dropped).
   */
  private async restartAt(first: number, reason: string, source: string): Promise<'progressed' | 'failed'> {
    const { log, deps } = this;
    if (first <= log.head() + 1) return 'progressed';
    if (source !== ownerOf(log.name)) {
      const held = log.head() >= log.first() ? `keeps its records up to ${log.head()}` : 'stays empty';
      const why = `${reason}, but ${source} is a relay: this copy ${held} until the owner says so`;
      if (why !== this.logged) deps.logger(`replica ${log.name}: ${why}`);
      this.logged = why;
      this.status.state = 'down';
      return 'failed';
    }
    const dropped = await log.restartAt(first);
    const what = dropped > 0 ? `dropped its ${dropped} records up to ${first - 1} (trimmed there too)` : 'held nothing';
    deps.logger(`replica ${log.name}: ${reason}; this copy ${what} and continues from id ${first}`);
    return 'progressed';
  }

  /** True when this copy is still the one that diverged before the restart. */
  private async stillDiverged(): Promise<boolean> {
    const { log, deps } = this;
    const mark = deps.marks.get(log.name);
    if (!mark) return false;
    const head = log.head();
    if (mark.head === head && head >= log.first() && head > 0 && stampText(await log.stampOf(head)) === mark.stamp) {
      deps.logger(
        `replica ${log.name} diverged from ${mark.reason} (recorded before this start in .diverged); replication of ${log.name} stays stopped, its ${head} records are kept`,
      );
      return true;
    }
    deps.logger(`replica ${log.name}: this copy is no longer the one that diverged (moved away or copied anew): following again`);
    this.status.state = 'connecting';
    await deps.marks.drop(log.name);
    return false;
  }

  private async runSession(): Promise<'progressed' | 'failed' | 'done'> {
    const { log, status, deps } = this;
    if (this.sessions === 0 && (await this.stillDiverged())) return 'done';
    const source = deps.pickSource(log.name, log.head(), this.distrusted);
    if (!source) {
      status.state = 'down';
      return 'failed';
    }
    if (source.name !== status.source) {
      status.source = source.name;
      status.sourceHead = null; // until this source tells (HB) or its LOGS does
    }
    if (this.sessions++ > 0) deps.state.reconnects++;
    // Shown `down` (or `self`) from a failure until the new session hears from its source.
    if (status.state !== 'down' && status.state !== 'self') status.state = 'connecting';
    const session = (this.session = new AbortController());
    const stop = () => session.abort();
    this.controller.signal.addEventListener('abort', stop);
    try {
      const result = await follow({
        log,
        source,
        nodeId: deps.nodeId,
        dial: deps.dial,
        maxMsg: deps.maxMsg,
        trustHeartbeats: this.trustsClaims,
        status,
        counters: deps.state,
        signal: session.signal,
      });
      if (result.outcome === 'diverged') {
        status.state = 'diverged';
        const head = log.head();
        deps.logger(`replica ${log.name} diverged from ${result.reason}; replication of ${log.name} stopped, its ${head} records are kept`);
        try {
          if (head > 0 && head >= log.first()) await deps.marks.set(log.name, { head, stamp: stampText(await log.stampOf(head)), reason: result.reason });
        } catch (err) {
          deps.logger(
            `replica ${log.name}: cannot record the divergence in .diverged (a restart finds it again at its first session): ${(err as Error).message}`,
          );
        }
        return 'done';
      }
      if (result.overclaimed) this.distrusted.add(source.name);
      if (result.outcome === 'trimmed') return await this.restartAt(result.first!, result.reason, source.name);
      if (result.rejected && result.reason !== this.logged) deps.logger(`replica ${log.name}: ${result.reason}`);
      this.logged = result.rejected ? result.reason : '';
      if (!session.signal.aborted) status.state = result.outcome === 'self' ? 'self' : 'down';
      return result.outcome === 'self' ? 'failed' : result.outcome;
    } finally {
      this.controller.signal.removeEventListener('abort', stop);
      this.session = null;
    }
  }
}
