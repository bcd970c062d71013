// Summarizes V8 CPU profiles (node --cpu-prof): the functions with the most self time.
//
//   node --import tsx tools/bench/profile-top.ts FILE.cpuprofile... [--top 25]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

export interface TopEntry {
  name: string;
  percent: number;
}

/** Self-time share of each function (name and file) over the busy samples of the profiles (idle left out). */
export function topFunctions(profiles: Profile[], top: number): TopEntry[] {
  const hits = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    for (const node of profile.nodes) {
      const n = node.hitCount ?? 0;
      const { functionName, url } = node.callFrame;
      if (n === 0 || functionName === '(idle)') continue;
      // Line numbers are left out: tsx's transpiled code does not keep them.
      const where = url ? ` ${relative(process.cwd(), url.replace(/^file:\/\//, ''))}` : '';
      const key = `${functionName || '(anonymous)'}${where}`;
      hits.set(key, (hits.get(key) ?? 0) + n);
      total += n;
    }
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, percent: (100 * n) / total }));
}

/** The top entries of the profiles in `files`, one per line. */
export function formatTop(files: string[], top: number): string {
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile);
  return topFunctions(profiles, top)
    .map((e) => `${e.percent.toFixed(1).padStart(5)}%  ${e.name}`)
    .join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  console.log(formatTop(positionals, Number(values.top)));
}

if (process.argv[1]?.endsWith('profile-top.ts')) main();
