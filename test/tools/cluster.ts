// `make cluster` (tools/cluster.ts): three nodes that replicate, with their status pages, all
// stopped cleanly by one SIGINT.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logs, talk, waitFor } from '../replication/_cluster.ts';
import { httpGet } from '../http/_status.ts';

const CLUSTER = fileURLToPath(new URL('../../tools/cluster.ts', import.meta.url));

test('make cluster starts three replicating nodes with status pages and stops them all on SIGINT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const proc = spawn(process.execPath, ['--import', 'tsx', CLUSTER, '--dir', dir, '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  t.teardown(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  await waitFor('the cluster summary', () => out.includes('Ctrl-C stops the cluster'), 30_000);

  const nodes = new Map<string, { port: number; pid: number; status: string; data: string }>();
  for (const m of out.matchAll(/^ {2}(\w+) +127\.0\.0\.1:(\d+) +pid (\d+) +data (\S+) +status (http:\S+)$/gm)) {
    nodes.set(m[1]!, { port: Number(m[2]), pid: Number(m[3]), data: m[4]!, status: m[5]! });
  }
  t.deepEqual([...nodes.keys()], ['alice', 'bob', 'carol'], out);
  t.is(readFileSync(join(dir, 'participants'), 'utf8'), [...nodes].map(([n, v]) => `${n} 127.0.0.1:${v.port}\n`).join(''));
  for (const [name, node] of nodes) t.is(node.data, join(dir, name));

  await talk(nodes.get('alice')!.port, 'MSG alice hello\nMSG alice world\n');
  await talk(nodes.get('carol')!.port, 'MSG carol.notes hi\n');
  for (const name of ['bob', 'carol']) {
    await waitFor(`${name} to hold alice`, async () => (await logs(nodes.get(name)!.port)).get('alice')?.head === 2);
  }
  await waitFor('alice to hold carol.notes', async () => (await logs(nodes.get('alice')!.port)).get('carol.notes')?.head === 1);
  // Each node's status page answers and sees the two others up.
  for (const [name, node] of nodes) {
    await waitFor(`${name}'s status page to show both peers up`, async () => {
      const status = JSON.parse((await httpGet(node.status + 'status.json')).body) as { node: { id: string }; participants: { up: boolean }[] };
      return status.node.id === name && status.participants.length === 2 && status.participants.every((p) => p.up);
    });
  }

  proc.kill('SIGINT');
  t.is(await exited, 0, err);
  for (const [name, node] of nodes) {
    t.throws(() => process.kill(node.pid, 0), { code: 'ESRCH' }, `${name} still runs`);
    t.regex(err, new RegExp(`^${name} +\\| .* stopped$`, 'm'), `${name} stopped gracefully`);
  }
  t.regex(err, /cluster: stopped\n$/);
});
