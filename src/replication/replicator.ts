// Replication of one node, the whole of it: the participants file says who the others are; a
// PeerLink per participant says what each holds; a Replica per log of another participant's
// namespace keeps a verified copy of it here.
//
// Which logs are followed: every log named in some participant's LOGS, or already held here,
// whose owner has a link (is in the file) and which this node does not write (failover). New
// logs are picked up at the next poll (1 s); a participant removed from the file has its replicas
// stopped (their data stays); a changed address restarts its link and its replicas' sessions.
// Limits: at most maxReplicas replica logs are followed at once (each holds a connection), and a
// replica is created only while its namespace holds fewer than --max-logs logs here; logs past
// either limit are not followed, with one stderr line per participant when that count changes.
// Where from: the owner while its link is up; otherwise the reachable participant holding the
// longest prefix, when longer than ours (relay), never one whose copy diverged from its own
// source (its LOGS says state=diverged) nor one caught claiming records it did not send;
// sessions move back to the owner when it returns.
import { ownerOf } from '../../protocol/names.ts';
import type { DialOptions } from '../wire/dial.ts';
import type { LogAccess, StateFile } from '../log-access.ts';
import type { Logger } from '../logger.ts';
import type { Source } from './follower.ts';
import { ParticipantsWatcher, sameParticipant, type Participant } from './participants.ts';
import { PeerLink } from './peer-link.ts';
import { DivergedMarks } from './diverged-marks.ts';
import { Replica } from './replica.ts';
import type { ReplicationState } from './state.ts';

export interface ReplicatorOptions {
  /** Every log this node holds, through the loop (log-access.ts). */
  logs: LogAccess;
  /** Where divergences are recorded (diverged-marks.ts). */
  divergedFile: StateFile;
  state: ReplicationState;
  nodeId: string;
  logger: Logger;
  /** This node's own listening address: a line pointing here is not followed. */
  self: { host: string; port: number };
  /** The token (--token-file) and TLS settings this node's connections to its peers use. */
  dial: DialOptions;
  /** Replica logs followed at most at once (each holds a connection: a share of the fd limit). */
  maxReplicas: number;
  /** What is taken from a peer: lines up to --max-line, records up to --max-msg. */
  limits: { maxLine: number; maxMsg: number };
}

export class Replicator {
  private watcher: ParticipantsWatcher | null = null;
  private readonly links = new Map<string, PeerLink>();
  private readonly replicas = new Map<string, Replica>();
  /** Replicas being created (their local log first); a name in here is not started twice. */
  private readonly creating = new Set<string>();
  /** Per log, the last reason it could not be created (logged once, not at every poll). */
  private readonly createFailures = new Map<string, string>();
  /** Per owner, the last line logged about its logs not followed (so it is logged once per change). */
  private readonly notFollowed = new Map<string, string>();
  private stopped = false;
  private readonly marks: DivergedMarks;

  constructor(private readonly o: ReplicatorOptions) {
    this.marks = new DivergedMarks(o.divergedFile);
    o.logs.onRolesChanged(() => this.reconcile());
  }

  /** Reads the participants file (an error if missing or bad) and starts following. */
  async start(peersFile: string): Promise<void> {
    this.watcher = new ParticipantsWatcher(peersFile, (list) => void this.setParticipants(list), this.o.logger);
    await this.setParticipants(await this.watcher.start());
  }

  /** Stops every link and replica; resolves when every received record is stored. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.stop();
    const links = [...this.links.values()].map((l) => l.stop());
    const replicas = [...this.replicas.values()].map((r) => r.stop());
    this.links.clear();
    this.replicas.clear();
    await Promise.all([...links, ...replicas]);
  }

  private async setParticipants(list: Participant[]): Promise<void> {
    if (this.stopped) return;
    const others = list.filter((p) => !this.isSelf(p));
    this.o.logs.setParticipants(list.filter((p) => p.name !== this.o.nodeId).map((p) => p.name));
    const stopping: Promise<void>[] = [];
    const gone = new Set<string>();
    for (const [name, link] of this.links) {
      const now = others.find((p) => p.name === name);
      if (now && sameParticipant(now, link.participant)) continue;
      this.links.delete(name);
      this.o.state.peers.delete(name);
      gone.add(name);
      stopping.push(link.stop());
    }
    for (const p of others) {
      if (this.links.has(p.name)) continue;
      const link = new PeerLink(p, { nodeId: this.o.nodeId, dial: this.o.dial, maxLine: this.o.limits.maxLine }, (l) => this.onLinkUpdate(l), this.o.logger);
      this.links.set(p.name, link);
      if (p.name !== this.o.nodeId) this.o.state.peers.set(p.name, { host: p.host, port: p.port, up: null });
      link.start();
    }
    // Sessions connected to a changed or removed address: end them, the next picks again.
    for (const replica of this.replicas.values()) if (gone.has(replica.status.source)) replica.reconnect();
    await this.reconcile();
    await Promise.all(stopping);
  }

  /** A line naming this node's own address (this node, or a log taken over by failover). */
  private isSelf(p: Participant): boolean {
    const self = this.o.self;
    if (p.port !== self.port) return false;
    return p.host === self.host || self.host === '0.0.0.0' || self.host === '::';
  }

  private onLinkUpdate(link: PeerLink): void {
    if (this.stopped) return;
    const peer = this.o.state.peers.get(link.participant.name);
    if (peer && this.links.get(link.participant.name) === link) peer.up = link.up;
    // A head the source's LOGS told: lag is known before the first heartbeat of a session.
    for (const replica of this.replicas.values()) {
      const head = link.heads.get(replica.log.name);
      const status = replica.status;
      // (Not from a source whose stream was caught claiming records it does not send: follower.ts.)
      if (link.up && status.source === link.participant.name && replica.trustsClaims && head !== undefined && head !== null && head > (status.sourceHead ?? -1))
        status.sourceHead = head;
    }
    if (link.up) {
      // The owner is back: replicas copying from a relay return to it.
      for (const replica of this.replicas.values()) {
        if (ownerOf(replica.log.name) === link.participant.name && replica.status.source !== link.participant.name) replica.reconnect();
      }
    }
    void this.reconcile();
  }

  /** Starts replicas for logs to follow and stops the others. */
  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Set<string>();
    const consider = (name: string) => {
      // A damaged copy stays as found until `logtool repair` (its start logged the damage once).
      if (this.links.has(ownerOf(name)) && !this.o.logs.writable(name) && !this.o.logs.damaged(name)) wanted.add(name);
    };
    // Held logs first: within the limits they keep their place before logs new to this node.
    for (const name of this.o.logs.names()) consider(name);
    for (const link of this.links.values()) for (const name of link.heads.keys()) consider(name);
    const stopping: Promise<void>[] = [];
    for (const [name, replica] of this.replicas) {
      if (wanted.has(name)) continue;
      this.replicas.delete(name);
      stopping.push(replica.stop());
    }
    this.startWithinLimits(wanted);
    await Promise.all(stopping);
  }

  /** Starts the wanted replicas not running yet, within maxReplicas and --max-logs. */
  private startWithinLimits(wanted: Set<string>): void {
    const logs = this.o.logs;
    const skipped = new Map<string, { count: number; why: string }>();
    let running = this.replicas.size + this.creating.size;
    for (const name of wanted) {
      if (this.replicas.has(name) || this.creating.has(name)) continue;
      const held = logs.held(name);
      const size = held ? 0 : logs.namespaceSize(name);
      let why = '';
      if (running >= this.o.maxReplicas) why = `this node follows at most ${this.o.maxReplicas} replica logs (a quarter of its file descriptor limit)`;
      else if (!held && size >= logs.maxLogs()) why = `namespace ${ownerOf(name)} holds ${size} logs here, the most --max-logs allows`;
      if (why) {
        const owner = ownerOf(name);
        const s = skipped.get(owner) ?? { count: 0, why };
        s.count++;
        skipped.set(owner, s);
        continue;
      }
      running++;
      void this.startReplica(name);
    }
    for (const link of this.links.values()) {
      const owner = link.participant.name;
      const s = skipped.get(owner);
      const line = s ? `replication: not following ${s.count} logs of ${owner}: ${s.why}` : '';
      if (line === (this.notFollowed.get(owner) ?? '')) continue;
      this.notFollowed.set(owner, line);
      this.o.logger(line || `replication: following every log of ${owner} again`);
    }
  }

  private async startReplica(name: string): Promise<void> {
    this.creating.add(name);
    try {
      const log = await this.o.logs.openReplica(name);
      if (this.stopped || this.o.logs.writable(name) || !this.links.has(ownerOf(name))) return;
      const replica = new Replica(log, {
        nodeId: this.o.nodeId,
        state: this.o.state,
        logger: this.o.logger,
        dial: this.o.dial,
        maxMsg: this.o.limits.maxMsg,
        marks: this.marks,
        pickSource: (l, head, avoid) => this.pickSource(l, head, avoid),
      });
      this.replicas.set(name, replica);
      replica.start();
      this.createFailures.delete(name);
    } catch (err) {
      const why = (err as Error).message;
      if (this.createFailures.get(name) !== why) this.o.logger(`replica ${name}: cannot be created: ${why}`);
      this.createFailures.set(name, why);
    } finally {
      this.creating.delete(name);
    }
  }

  private pickSource(log: string, head: number, avoid: ReadonlySet<string>): Source | null {
    const ownerLink = this.links.get(ownerOf(log));
    if (ownerLink?.up) return ownerLink.participant;
    let best: PeerLink | null = null;
    let bestHead = head;
    for (const link of this.links.values()) {
      if (link === ownerLink || !link.up || avoid.has(link.participant.name)) continue;
      const theirs = link.heads.get(log) ?? 0;
      if (theirs > bestHead) {
        best = link;
        bestHead = theirs;
      }
    }
    return (best ?? ownerLink)?.participant ?? null;
  }
}
