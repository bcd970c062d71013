// /metrics: every STATS and LOGS figure in the Prometheus text exposition format (0.0.4).
// Names are logd_<what>, counters end in _total; per-log, per-verb, per-code and per-peer
// figures are one family with a label each. A STATS figure this table does not know (added to
// STATS later) is still exported, untyped, as logd_<name>; an unknown value (`?`) is left out.
import { figure, type Snapshot } from './view.ts';

type MetricType = 'counter' | 'gauge' | 'untyped';

interface FamilySpec {
  name: string;
  type: MetricType;
  help: string;
  /** The label that carries the part after the dot, for `prefix.<x>` STATS names. */
  label?: string;
  /** Divides the value (ms -> s: 1000). */
  divisor?: number;
}

const HEAD: FamilySpec = { name: 'logd_log_head', type: 'gauge', help: 'The last id of the log (0 when empty).', label: 'log' };
const LAG: FamilySpec = { name: 'logd_replica_lag', type: 'gauge', help: "Records the replica is behind its source's head.", label: 'log' };

/** STATS names; `prefix.` entries stand for `prefix.<x>`. */
const STATS_FAMILIES: Record<string, FamilySpec> = {
  uptime_ms: { name: 'logd_uptime_seconds', type: 'gauge', help: 'Time since the node started.', divisor: 1000 },
  connections: { name: 'logd_connections', type: 'gauge', help: 'Client connections open now.' },
  streams: { name: 'logd_streams', type: 'gauge', help: 'READ and REPLICATE streams running now.' },
  connections_total: { name: 'logd_connections_total', type: 'counter', help: 'Connections accepted.' },
  records_in: { name: 'logd_records_in_total', type: 'counter', help: 'Records written by clients (MSG, APPEND).' },
  bytes_in: { name: 'logd_bytes_in_total', type: 'counter', help: 'Payload bytes written by clients.' },
  records_out: { name: 'logd_records_out_total', type: 'counter', help: 'Records sent by READ.' },
  bytes_out: { name: 'logd_bytes_out_total', type: 'counter', help: 'Payload bytes sent by READ.' },
  fsyncs: { name: 'logd_fsyncs_total', type: 'counter', help: 'fsync calls on log files.' },
  auth_failures: { name: 'logd_auth_failures_total', type: 'counter', help: 'AUTH with a wrong token.' },
  slow_consumers: { name: 'logd_slow_consumers_total', type: 'counter', help: 'Connections closed for not taking their output.' },
  tls_failures: { name: 'logd_tls_failures_total', type: 'counter', help: 'Failed TLS handshakes.' },
  repl_records_in: { name: 'logd_repl_records_in_total', type: 'counter', help: 'Records stored from REPLICATE streams.' },
  repl_bytes_in: { name: 'logd_repl_bytes_in_total', type: 'counter', help: 'Bytes stored from REPLICATE streams.' },
  repl_bytes_out: { name: 'logd_repl_bytes_out_total', type: 'counter', help: 'Bytes sent on REPLICATE streams.' },
  repl_reconnects: { name: 'logd_repl_reconnects_total', type: 'counter', help: 'Follower sessions started again after one ended.' },
  repl_lag: { name: 'logd_repl_lag', type: 'gauge', help: 'The largest known replication lag of the replicas here, in records.' },
  repl_lag_unknown: { name: 'logd_repl_lag_unknown', type: 'gauge', help: "Replicas whose source's head is not known yet (lag=?)." },
  bad_acks: { name: 'logd_bad_acks_total', type: 'counter', help: 'ACKs ignored: from a non-participant, for an id not sent, or backwards.' },
  'cmd.': { name: 'logd_commands_total', type: 'counter', help: 'Commands received, by verb.', label: 'verb' },
  'err.': { name: 'logd_errors_total', type: 'counter', help: 'ERR replies sent, by code.', label: 'code' },
  'head.': HEAD,
  'lag.': LAG,
  'peer_up.': { name: 'logd_peer_up', type: 'gauge', help: '1 when the participant answered its last LOGS in time, 0 when down.', label: 'peer' },
};

const FIRST = { name: 'logd_log_first_id', type: 'gauge', help: 'The first retained id of the log.' } as const;
const INFO = { name: 'logd_log_info', type: 'gauge', help: "Always 1; the log's role and its non-numeric LOGS extras as labels." } as const;
const STATE = { name: 'logd_replica_state', type: 'gauge', help: 'The replica state: 1 for the current one, 0 for the others.' } as const;
const ACKED = { name: 'logd_log_acked_id', type: 'gauge', help: 'The id the follower reported durable (ACK).' } as const;
const NODE = { name: 'logd_node_info', type: 'gauge', help: 'Always 1; the node id as a label.' } as const;
const REPLICA_STATES = ['connecting', 'catching-up', 'live', 'down', 'diverged', 'self'];

type Labels = Record<string, string>;

class Exposition {
  private readonly families = new Map<string, { spec: { type: MetricType; help: string }; samples: Map<string, string> }>();

  add(spec: { name: string; type: MetricType; help: string }, labels: Labels, value: number | null): void {
    if (value === null) return;
    let family = this.families.get(spec.name);
    if (!family) this.families.set(spec.name, (family = { spec, samples: new Map() }));
    const text = Object.entries(labels)
      .map(([k, v]) => `${metricName(k)}="${escapeLabel(v)}"`)
      .join(',');
    // The same sample from STATS and from LOGS (head, lag) is one sample.
    family.samples.set(text, `${spec.name}${text ? `{${text}}` : ''} ${value}`);
  }

  render(): string {
    let out = '';
    for (const [name, { spec, samples }] of this.families) {
      out += `# HELP ${name} ${spec.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${spec.type}\n`;
      for (const line of samples.values()) out += line + '\n';
    }
    return out;
  }
}

export function renderMetrics(nodeId: string, snap: Snapshot): string {
  const out = new Exposition();
  out.add(NODE, { node: nodeId }, 1);
  for (const [stat, value] of snap.stats) {
    const dot = stat.indexOf('.');
    const spec = STATS_FAMILIES[dot < 0 ? stat : stat.slice(0, dot + 1)];
    const n = figure(value);
    if (!spec) {
      const name = 'logd_' + metricName(dot < 0 ? stat : stat.slice(0, dot));
      out.add({ name, type: 'untyped', help: `STATS ${dot < 0 ? stat : stat.slice(0, dot + 1) + '<key>'}.` }, dot < 0 ? {} : { key: stat.slice(dot + 1) }, n);
    } else {
      out.add(spec, spec.label ? { [spec.label]: stat.slice(dot + 1) } : {}, n === null ? null : n / (spec.divisor ?? 1));
    }
  }
  for (const log of snap.logs) {
    const labels = { log: log.name };
    out.add(FIRST, labels, log.first);
    out.add(HEAD, labels, log.head);
    const info: Labels = { log: log.name, role: log.role };
    for (const [key, value] of Object.entries(log.extras)) {
      if (key.startsWith('ack.')) out.add(ACKED, { log: log.name, follower: key.slice(4) }, figure(value));
      else if (key === 'lag') out.add(LAG, labels, figure(value));
      else if (figure(value) !== null) out.add({ name: `logd_log_${metricName(key)}`, type: 'untyped', help: `LOGS ${key}=.` }, labels, figure(value));
      else if (value !== '?') info[key] = value;
    }
    out.add(INFO, info, 1);
    const state = log.extras.state;
    if (state)
      for (const s of REPLICA_STATES.includes(state) ? REPLICA_STATES : [...REPLICA_STATES, state])
        out.add(STATE, { log: log.name, state: s }, s === state ? 1 : 0);
  }
  return out.render();
}

/** Prometheus metric and label names: [a-zA-Z_][a-zA-Z0-9_]*. */
function metricName(text: string): string {
  return text.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=\d)/, '_');
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
