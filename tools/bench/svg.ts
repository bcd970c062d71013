// A small horizontal bar chart (SVG, no dependencies): one group per figure that at least two
// systems ran, one bar per system, each bar scaled to the largest value of its group, since the
// figures have different units.
import type { Row } from './report.ts';
import { formatValue } from './report.ts';
import { SYSTEMS } from './servers.ts';

const COLORS: Record<string, string> = { logd: '#2b6cb0', redis: '#c53030', nats: '#2f855a' };
const BAR_WIDTH = 420;
const BAR_HEIGHT = 11;
const GROUP_GAP = 12;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function barChart(title: string, table: Row[]): string {
  const groups = table.filter((r) => SYSTEMS.filter((s) => r.values[s] !== null && Number.isFinite(r.values[s])).length >= 2);
  const labels = groups.map((row) => `${row.figure.label} (${row.figure.unit})${row.figure.higherIsBetter ? '' : ' (lower is better)'}`);
  // About 6 px per character at 11 px sans-serif.
  const LABEL_WIDTH = 20 + 6 * Math.max(40, ...labels.map((l) => l.length));
  const groupHeight = SYSTEMS.length * BAR_HEIGHT + GROUP_GAP;
  const top = 50;
  const width = LABEL_WIDTH + BAR_WIDTH + 90;
  const height = top + groups.length * groupHeight + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  SYSTEMS.forEach((s, i) => {
    const x = 10 + i * 90;
    out.push(`<rect x="${x}" y="28" width="10" height="10" fill="${COLORS[s]}"/><text x="${x + 14}" y="37">${s}</text>`);
  });
  out.push(`<text x="${10 + SYSTEMS.length * 90}" y="37" fill="#555">bars scaled per figure; (lower is better) where marked</text>`);
  groups.forEach((row, g) => {
    const y = top + g * groupHeight;
    const finite = SYSTEMS.map((s) => row.values[s]).filter((v): v is number => v !== null && Number.isFinite(v));
    const max = Math.max(...finite, Number.MIN_VALUE);
    out.push(`<text x="${LABEL_WIDTH - 6}" y="${y + (SYSTEMS.length * BAR_HEIGHT) / 2 + 4}" text-anchor="end">${escapeXml(labels[g]!)}</text>`);
    SYSTEMS.forEach((s, i) => {
      const v = row.values[s];
      const by = y + i * BAR_HEIGHT;
      if (v === null || !Number.isFinite(v)) {
        out.push(`<text x="${LABEL_WIDTH + 2}" y="${by + 9}" fill="#999">n/a</text>`);
        return;
      }
      const w = Math.max(1, (BAR_WIDTH * v) / max);
      out.push(`<rect x="${LABEL_WIDTH}" y="${by}" width="${w.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${COLORS[s]}"/>`);
      out.push(`<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${by + 9}">${escapeXml(formatValue(v, row.figure.unit))}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
