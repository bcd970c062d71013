// Compiles the package to dist/: ESM JavaScript and .d.ts for src/, protocol/, logtool and logtail
// (tsconfig.build.json), plus the files src/ reads beside its modules (the status page's HTML,
// CSS and JS). `npm ci` and `npm pack` run it (the prepare script), and so does make when a
// source changed; the tests run the .ts sources through tsx instead.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

// From scratch, so that a deleted source leaves no stale module behind.
rmSync(dist, { recursive: true, force: true });
execFileSync('tsc', ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', shell: process.platform === 'win32' });

// tsc rewrites `./x.ts` to `./x.js` in the JavaScript but not in the .d.ts files: do it there too,
// so that a consumer's TypeScript (any version, without allowImportingTsExtensions) reads them.
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*)\.ts(['"])/g;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(TS_SPECIFIER, '$1.js$2');
  if (fixed !== text) writeFileSync(file, fixed);
}
// Every file of src/ that is not TypeScript goes where the compiled module will look for it.
cpSync(join(root, 'src'), join(dist, 'src'), { recursive: true, filter: (src) => !src.endsWith('.ts') });

writeFileSync(join(dist, '.build-stamp'), '');
