// The import rules of README.md's layout section, checked on every import of every source file
// (static, type-only, re-export, side-effect and dynamic): a violation fails here.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The repository files imported by `text`, the source of `file` (paths from the root); packages and node: modules left out. */
function importsIn(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) out.push(relative(ROOT, resolve(dirname(join(ROOT, file)), spec)));
  }
  return out;
}

const importsOf = (file: string): string[] => importsIn(file, readFileSync(join(ROOT, file), 'utf8'));

const under = (path: string, dir: string) => path.startsWith(dir + '/');

interface Rule {
  /** As README.md's layout table words it. */
  text: string;
  from: string;
  /** True when `from`'s file may import `target`. */
  allows: (target: string) => boolean;
}

const RULES: Rule[] = [
  { text: 'protocol/ imports nothing from src/ or tools/', from: 'protocol', allows: (p) => under(p, 'protocol') },
  { text: 'src/storage imports only protocol/', from: 'src/storage', allows: (p) => under(p, 'protocol') || under(p, 'src/storage') },
  { text: 'src/wire imports only protocol/', from: 'src/wire', allows: (p) => under(p, 'protocol') || under(p, 'src/wire') },
  { text: 'src/net does not import src/storage', from: 'src/net', allows: (p) => !under(p, 'src/storage') },
  {
    text: 'src/replication imports none of src/client, src/storage, src/loop',
    from: 'src/replication',
    allows: (p) => !under(p, 'src/client') && !under(p, 'src/storage') && !under(p, 'src/loop'),
  },
  {
    text: 'src/client imports only protocol/ and src/wire',
    from: 'src/client',
    allows: (p) => under(p, 'protocol') || under(p, 'src/wire') || under(p, 'src/client'),
  },
  { text: 'nothing in src/ or protocol/ imports tools/ or test/', from: 'src', allows: (p) => !under(p, 'tools') && !under(p, 'test') },
];

test('every import follows the layout rules', (t) => {
  const violations: string[] = [];
  for (const rule of RULES) {
    for (const file of sources(rule.from)) {
      for (const target of importsOf(file)) if (!rule.allows(target)) violations.push(`${file} -> ${target} (${rule.text})`);
    }
  }
  t.deepEqual(violations, []);
});

test('the import reader sees static, type-only, multi-line, re-export, side-effect and dynamic imports', (t) => {
  const text = [
    "import { a } from '../storage/a.ts';",
    "import type { B } from '../storage/b.ts';",
    'import {',
    '  c,',
    "} from '../storage/c.ts';",
    "export { d } from './d.ts';",
    "import './e.ts';",
    "const f = await import('../../protocol/f.ts');",
    "import { g } from 'node:fs';",
  ].join('\n');
  t.deepEqual(importsIn('src/net/x.ts', text), ['src/storage/a.ts', 'src/storage/b.ts', 'src/storage/c.ts', 'src/net/d.ts', 'src/net/e.ts', 'protocol/f.ts']);
});

test('README.md states exactly the rules this test enforces', (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const list = readme.slice(readme.indexOf('as test/layout.ts enforces them'));
  const stated = list.slice(list.indexOf('\n- '), list.indexOf('\n\n')).split('\n- ').slice(1);
  t.deepEqual(
    stated,
    RULES.map((r) => r.text),
  );
});
