// The status page in a real browser (headless Chromium): it lists the node's logs with their
// heads, and its append-rate chart moves after writes.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Cluster, talk, waitFor, write } from '../replication/_cluster.ts';
import { Browser } from './_chromium.ts';
import { statusUrl } from './_status.ts';

test('the status page shows the logs and its append-rate chart follows writes', async (t) => {
  const node = await startServer({ id: 'alice', args: ['--http', '127.0.0.1:0', '--fsync', 'none'] });
  t.teardown(() => node.stop());
  const browser = new Browser();
  t.teardown(() => browser.close());
  await talk(node.port, 'MSG alice.audit first\n');

  const page = await browser.open(statusUrl(node) + '/');
  const table = () => page.evaluate<string[][]>(`[...document.querySelectorAll('#logs tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))`);
  // records: the appends the chart's samples cover (the area under its lines).
  const chart = () =>
    page.evaluate<{ points: number; records: number; d: string }>(
      `(() => { const svg = document.getElementById('chart-rate'); return { points: Number(svg.dataset.points ?? 0), records: Number(svg.dataset.records ?? 0), d: svg.querySelector('path.written')?.getAttribute('d') ?? '' }; })()`,
    );
  await waitFor('the page to list both logs', async () => (await table()).length === 2);
  t.deepEqual(
    (await table()).map((cells) => cells.slice(0, 4)),
    [
      ['alice', 'owner', '1', '0'],
      ['alice.audit', 'owner', '1', '1'],
    ],
  );
  t.is(await page.evaluate('document.getElementById("node-id").textContent'), 'alice');

  await waitFor('the chart to count the first write', async () => (await chart()).records === 1);
  const before = await chart();

  let batch = '';
  for (let i = 0; i < 200; i++) batch += `MSG alice record-${i}\n`;
  await talk(node.port, batch);
  await waitFor('the chart to count the 200 appends', async () => (await chart()).records === 201);
  const after = await chart();
  t.true(after.points > before.points);
  t.not(after.d, before.d);
  await waitFor('the table to show the new head', async () => (await table())[0]?.[3] === '200');
});

test("a replica's page shows its participants' state and the replica's source, state and lag", async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  const bob = await cluster.start('bob', { args: ['--http', '127.0.0.1:0'] });
  await write(cluster.port('alice'), 'alice', 5, 'r');
  const browser = new Browser();
  t.teardown(() => browser.close());
  const page = await browser.open(statusUrl(bob) + '/');
  const rows = (table: string) =>
    page.evaluate<string[][]>(`[...document.querySelectorAll('#${table} tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))`);
  await waitFor('bob to show alice up and its copy live', async () => {
    const logs = await rows('logs');
    return (
      JSON.stringify(await rows('participants')).includes('["alice","127.0.0.1:' + cluster.port('alice') + '","up"]') &&
      logs.some((r) => r[0] === 'alice' && r[3] === '5' && r[4] === 'live from alice' && r[5] === '0')
    );
  });
  t.deepEqual((await rows('participants'))[0]?.slice(2), ['this node']);
  await cluster.nodes.get('alice')!.kill();
  const aliceDown = async () => (await rows('participants')).some((r) => r[0] === 'alice' && r[2] === 'down');
  await waitFor('bob to show alice down', aliceDown);
  t.true(await aliceDown());
});
