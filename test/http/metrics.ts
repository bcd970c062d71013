// /metrics against STATS and LOGS over TCP, on a replicating three-node cluster: every figure is
// there under its documented name, equal to what STATS/LOGS say, and the exposition is valid.
import test from 'ava';
import { Cluster, logs, stats, talk, waitFor, write } from '../replication/_cluster.ts';
import { httpGet, parseExposition, statusUrl, sampleValue, type Sample } from './_status.ts';

/** STATS name -> [metric, label of the part after the dot]; what README.md documents. */
const NAMES: Record<string, [string, string?]> = {
  connections: ['logd_connections'],
  streams: ['logd_streams'],
  connections_total: ['logd_connections_total'],
  records_in: ['logd_records_in_total'],
  bytes_in: ['logd_bytes_in_total'],
  records_out: ['logd_records_out_total'],
  bytes_out: ['logd_bytes_out_total'],
  fsyncs: ['logd_fsyncs_total'],
  auth_failures: ['logd_auth_failures_total'],
  slow_consumers: ['logd_slow_consumers_total'],
  tls_failures: ['logd_tls_failures_total'],
  repl_records_in: ['logd_repl_records_in_total'],
  repl_bytes_in: ['logd_repl_bytes_in_total'],
  repl_bytes_out: ['logd_repl_bytes_out_total'],
  repl_reconnects: ['logd_repl_reconnects_total'],
  repl_lag: ['logd_repl_lag'],
  repl_lag_unknown: ['logd_repl_lag_unknown'],
  bad_acks: ['logd_bad_acks_total'],
  'cmd.': ['logd_commands_total', 'verb'],
  'err.': ['logd_errors_total', 'code'],
  'head.': ['logd_log_head', 'log'],
  'lag.': ['logd_replica_lag', 'log'],
  'peer_up.': ['logd_peer_up', 'peer'],
};

/** Figures that move on their own between the scrape and STATS (the STATS connection itself, peer polls, heartbeats). */
const MOVING = new Set(['connections', 'connections_total', 'cmd.logs', 'cmd.stats', 'cmd.close', 'repl_bytes_out', 'fsyncs']);

function metricFor(stat: string): { name: string; labels: Record<string, string> } {
  const dot = stat.indexOf('.');
  const entry = NAMES[dot < 0 ? stat : stat.slice(0, dot + 1)];
  if (!entry) throw new Error(`STATS ${stat}: no documented metric`);
  return { name: entry[0], labels: entry[1] ? { [entry[1]]: stat.slice(dot + 1) } : {} };
}

async function scrape(url: string): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const res = await httpGet(url + '/metrics');
  if (res.status !== 200 || !String(res.headers['content-type']).startsWith('text/plain; version=0.0.4'))
    throw new Error(`GET /metrics: ${res.status} ${res.headers['content-type']}`);
  return parseExposition(res.body);
}

test('/metrics has every STATS and LOGS figure of a replicating cluster, equal to STATS over TCP', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  const http = ['--http', '127.0.0.1:0'];
  const alice = await cluster.start('alice', { args: [...http, '--fsync', 'always'] });
  const bob = await cluster.start('bob', { args: http });
  await cluster.start('carol', { args: http });
  await write(cluster.port('alice'), 'alice', 300, 'a');
  await write(cluster.port('alice'), 'alice.audit', 20, 'x');
  await write(cluster.port('bob'), 'bob', 7, 'b');
  await talk(cluster.port('alice'), 'MSG bob nope\n'); // ERR readonly, counted
  await waitFor('both followers to acknowledge alice and alice.audit', async () => {
    const l = await logs(cluster.port('alice'));
    return ['bob', 'carol'].every((n) => l.get('alice')?.['ack.' + n] === 300 && l.get('alice.audit')?.['ack.' + n] === 20);
  });
  await waitFor('bob to hold everything live', async () => {
    const l = await logs(cluster.port('bob'));
    return l.get('alice')?.head === 300 && l.get('alice.audit')?.head === 20 && l.get('carol')?.state === 'live' && l.get('alice')?.state === 'live';
  });

  for (const node of [alice, bob]) {
    const { samples, types } = await scrape(statusUrl(node));
    const figures = await stats(node.port);
    const table = await logs(node.port);
    t.is(sampleValue(samples, 'logd_node_info', { node: node.id }), 1);
    t.true(Math.abs(sampleValue(samples, 'logd_uptime_seconds')! - figures.get('uptime_ms')! / 1000) < 5);
    for (const [stat, value] of figures) {
      if (stat === 'uptime_ms') continue;
      const { name, labels } = metricFor(stat);
      const scraped = sampleValue(samples, name, labels);
      if (scraped === undefined && MOVING.has(stat)) continue; // e.g. cmd.stats: first counted by the STATS after the scrape
      t.not(scraped, undefined, `${node.id}: ${name} ${JSON.stringify(labels)} for STATS ${stat}`);
      if (MOVING.has(stat)) t.true(scraped! <= value, `${node.id}: ${stat} ${scraped} <= ${value}`);
      else t.is(scraped, value, `${node.id}: ${stat}`);
      t.is(types.get(name), name.endsWith('_total') ? 'counter' : 'gauge', name);
    }
    for (const [log, info] of table) {
      t.is(sampleValue(samples, 'logd_log_first_id', { log }), info.first, `${node.id} ${log} first`);
      t.is(sampleValue(samples, 'logd_log_head', { log }), info.head, `${node.id} ${log} head`);
      const infoLabels: Record<string, string> = { log, role: info.role };
      for (const key of ['source', 'state', 'failover']) if (info[key] !== undefined) infoLabels[key] = String(info[key]);
      t.is(sampleValue(samples, 'logd_log_info', infoLabels), 1, `${node.id} ${log} info ${JSON.stringify(infoLabels)}`);
      for (const [key, value] of Object.entries(info)) {
        if (key.startsWith('ack.')) t.is(sampleValue(samples, 'logd_log_acked_id', { log, follower: key.slice(4) }), Number(value), `${node.id} ${log} ${key}`);
      }
      if (info.lag !== undefined) t.is(sampleValue(samples, 'logd_replica_lag', { log }), Number(info.lag));
      if (info.state !== undefined) {
        t.is(sampleValue(samples, 'logd_replica_state', { log, state: String(info.state) }), 1);
        t.is(samples.filter((s) => s.name === 'logd_replica_state' && s.labels.log === log && s.value === 1).length, 1);
      }
    }
  }
  // The figures this cluster must have produced, spelled out.
  const a = (await scrape(statusUrl(alice))).samples;
  t.is(sampleValue(a, 'logd_log_head', { log: 'alice' }), 300);
  t.is(sampleValue(a, 'logd_log_head', { log: 'alice.audit' }), 20);
  t.true(sampleValue(a, 'logd_records_in_total')! >= 320);
  t.is(sampleValue(a, 'logd_log_acked_id', { log: 'alice', follower: 'carol' }), 300);
  t.is(sampleValue(a, 'logd_errors_total', { code: 'readonly' }), 1);
  t.is(sampleValue(a, 'logd_peer_up', { peer: 'bob' }), 1);
  t.true(sampleValue(a, 'logd_fsyncs_total')! > 0);
  const b = (await scrape(statusUrl(bob))).samples;
  t.is(sampleValue(b, 'logd_repl_records_in_total'), 320 + (await logs(cluster.port('bob'))).get('carol')!.head);
  t.is(sampleValue(b, 'logd_replica_state', { log: 'alice', state: 'live' }), 1);
  t.is(sampleValue(b, 'logd_replica_lag', { log: 'alice' }), 0);

  // A participant going down shows in peer_up on both sides of the scrape.
  await cluster.nodes.get('carol')!.kill();
  await waitFor('alice to see carol down', async () => sampleValue((await scrape(statusUrl(alice))).samples, 'logd_peer_up', { peer: 'carol' }) === 0);
  t.is((await stats(alice.port)).get('peer_up.carol'), 0);
});
