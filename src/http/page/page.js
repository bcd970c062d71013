// The status page: polls status.json every second and redraws the tables and the two charts.
// Plain browser JavaScript, no libraries; everything shown goes in through textContent.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const W = 600,
  H = 140,
  PAD_TOP = 8,
  PAD_BOTTOM = 16;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function badge(text, kind = text) {
  return el('span', { class: `badge ${kind}` }, text);
}

function row(cells) {
  const tr = el('tr');
  for (const cell of cells) {
    const td = el('td', cell.num ? { class: 'num' } : {});
    if (cell.node) td.append(cell.node);
    else td.textContent = cell.text ?? '';
    tr.append(td);
  }
  return tr;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** Per-second rates from counter samples; null where a counter is unknown or went back (restart). */
function rates(samples, index) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1][index],
      b = samples[i][index];
    const dt = (samples[i][0] - samples[i - 1][0]) / 1000;
    out.push([samples[i][0], a === null || b === null || b < a || dt <= 0 ? null : (b - a) / dt]);
  }
  return out;
}

/** Records counted over the samples (the area under a rate line); a counter going back adds nothing. */
function counted(samples, index) {
  let sum = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1][index],
      b = samples[i][index];
    if (a !== null && b !== null && b > a) sum += b - a;
  }
  return sum;
}

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function drawChart(svg, series, windowMs, now) {
  let peak = 0;
  for (const s of series) for (const [, v] of s.points) if (v !== null) peak = Math.max(peak, v);
  const max = niceMax(peak);
  const x = (t) => ((t - (now - windowMs)) / windowMs) * W;
  const y = (v) => PAD_TOP + (1 - v / max) * (H - PAD_TOP - PAD_BOTTOM);
  svg.replaceChildren();
  for (const v of [0, max / 2, max]) {
    const line = document.createElementNS(SVG, 'line');
    for (const [k, a] of Object.entries({ class: 'grid', x1: 0, x2: W, y1: y(v), y2: y(v) })) line.setAttribute(k, a);
    svg.append(line);
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', 4);
    label.setAttribute('y', Math.max(12, y(v) - 3));
    label.textContent = Number.isInteger(v) ? String(v) : v.toFixed(1);
    svg.append(label);
  }
  for (const [text, x0, anchor] of [
    [`${Math.round(windowMs / 60_000)} min ago`, 4, 'start'],
    ['now', W - 4, 'end'],
  ]) {
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', x0);
    label.setAttribute('y', H - 3);
    label.setAttribute('text-anchor', anchor);
    label.textContent = text;
    svg.append(label);
  }
  for (const s of series) {
    let d = '',
      pen = false;
    for (const [t, v] of s.points) {
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('class', `series ${s.kind}`);
    path.setAttribute('d', d);
    svg.append(path);
  }
  const last = series[0].points.at(-1);
  svg.dataset.points = String(series[0].points.length);
  svg.dataset.peak = String(peak);
  svg.dataset.last = last && last[1] !== null ? String(last[1]) : '';
}

function render(status) {
  const { node, participants, logs, samples, sampleMs } = status;
  document.title = `logd ${node.id}`;
  document.getElementById('node-id').textContent = node.id;
  const st = node.stats;
  document.getElementById('node-facts').textContent =
    `listening on ${node.listen} · up ${duration(Number(st.uptime_ms))} · ${st.connections} connections · ` +
    `${logs.length} logs · ${participants.length + 1} participants`;

  const pBody = document.querySelector('#participants tbody');
  pBody.replaceChildren(row([{ text: node.id }, { text: node.listen }, { node: badge('this node', 'up') }]));
  for (const p of participants) {
    const state = p.up === null ? 'unknown' : p.up ? 'up' : 'down';
    pBody.append(row([{ text: p.name }, { text: p.address }, { node: badge(state) }]));
  }

  const lBody = document.querySelector('#logs tbody');
  lBody.replaceChildren();
  for (const log of logs) {
    const state = el('span');
    if (log.state) state.append(badge(log.state), document.createTextNode(log.source ? ` from ${log.source}` : ''));
    else if (log.role === 'owner') state.append(badge('writer', 'owner'));
    if (log.failover) state.append(document.createTextNode(` (failover: ${log.failover})`));
    const acks = Object.entries(log.acks)
      .map(([n, id]) => `${n} ${id === null ? '?' : id}`)
      .join(', ');
    lBody.append(
      row([
        { text: log.name },
        { text: log.role },
        { text: log.first, num: true },
        { text: log.head, num: true },
        { node: state },
        { text: log.lag === null ? (log.state ? '?' : '') : log.lag, num: true },
        { text: acks || '' },
      ]),
    );
  }
  if (logs.length === 0) lBody.append(row([{ text: 'no logs yet' }]));

  const windowMs = Math.max(60_000, samples.length * sampleMs);
  const minutes = Math.round(windowMs / 60_000);
  document.getElementById('window').textContent = `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const now = samples.length ? samples.at(-1)[0] : Date.now();
  const written = rates(samples, 1),
    replicated = rates(samples, 2);
  drawChart(
    document.getElementById('chart-rate'),
    [
      { kind: 'written', points: written },
      { kind: 'replicated', points: replicated },
    ],
    windowMs,
    now,
  );
  document.getElementById('chart-rate').dataset.records = String(counted(samples, 1) + counted(samples, 2));
  const lag = samples.map((s) => [s[0], s[3]]);
  drawChart(document.getElementById('chart-lag'), [{ kind: 'lag', points: lag }], windowMs, now);
  const lastRate = (pts) => (pts.length && pts.at(-1)[1] !== null ? Math.round(pts.at(-1)[1]) : 0);
  document.getElementById('rate-now').textContent = `now ${lastRate(written)} + ${lastRate(replicated)}/s`;
  const lastLag = lag.length ? lag.at(-1)[1] : null;
  document.getElementById('lag-now').textContent = `now ${lastLag === null ? '?' : lastLag}`;
}

async function poll() {
  const banner = document.getElementById('banner');
  try {
    const res = await fetch('status.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    render(await res.json());
    banner.hidden = true;
  } catch (err) {
    banner.textContent = `The node does not answer (${err.message}); retrying every second.`;
    banner.hidden = false;
  }
  setTimeout(poll, 1000);
}

poll();
