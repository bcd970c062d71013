// The metrics renderer on figures the live cluster test cannot produce: unknown values (`?`),
// figures added to STATS after this table was written, and label values that need escaping.
import test from 'ava';
import { renderMetrics } from '../../src/http/metrics.ts';
import { parseExposition, sampleValue } from './_status.ts';

const render = (stats: Record<string, string>, logs: { name: string; extras: Record<string, string> }[] = []) =>
  parseExposition(renderMetrics('n1', { stats: new Map(Object.entries(stats)), logs: logs.map((l) => ({ role: 'replica', first: 1, head: 5, ...l })) }));

test('an unknown lag (`?`) is an absent sample, not 0', (t) => {
  const { samples } = render({ repl_lag: '?', 'lag.bob': '?', 'head.bob': '5' }, [{ name: 'bob', extras: { state: 'connecting', lag: '?' } }]);
  t.is(sampleValue(samples, 'logd_repl_lag'), undefined);
  t.is(sampleValue(samples, 'logd_replica_lag', { log: 'bob' }), undefined);
  t.is(sampleValue(samples, 'logd_log_head', { log: 'bob' }), 5);
  t.is(sampleValue(samples, 'logd_log_info', { log: 'bob', role: 'replica', state: 'connecting' }), 1);
});

test('a STATS figure the table does not know is still exported, untyped', (t) => {
  const { samples, types } = render({ widgets_made: '3', 'widgets.blue-ish': '4' }, [{ name: 'bob', extras: { ack_delay: '9' } }]);
  t.is(sampleValue(samples, 'logd_widgets_made'), 3);
  t.is(types.get('logd_widgets_made'), 'untyped');
  t.is(sampleValue(samples, 'logd_widgets', { key: 'blue-ish' }), 4);
  t.is(sampleValue(samples, 'logd_log_ack_delay', { log: 'bob' }), 9);
});

test('label values escape backslash, double quote and line feed', (t) => {
  const text = renderMetrics('n1', { stats: new Map(), logs: [{ name: 'bob', role: 'replica', first: 1, head: 0, extras: { source: 'a"b\\c\nd' } }] });
  t.true(text.includes('source="a\\"b\\\\c\\nd"'));
  t.is(sampleValue(parseExposition(text).samples, 'logd_log_info', { log: 'bob', role: 'replica', source: 'a"b\\c\nd' }), 1);
});

test('a replica state the page does not know still gets its 1', (t) => {
  const { samples } = render({}, [{ name: 'bob', extras: { state: 'paused' } }]);
  t.is(sampleValue(samples, 'logd_replica_state', { log: 'bob', state: 'paused' }), 1);
  t.is(sampleValue(samples, 'logd_replica_state', { log: 'bob', state: 'live' }), 0);
});
