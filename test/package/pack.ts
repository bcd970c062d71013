// The package as a user gets it: `npm pack` (which builds dist/ through the prepare script), the
// tarball installed into a fresh project without the optional native fs-ext and without the
// network (the dependencies come from the npm cache that `npm ci` filled), then the client
// imported from plain Node ESM, the compiled commands run, and a TypeScript file type-checked.
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../_server.ts';
import { installLockfile } from './_lockfile.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('npm pack, install offline into a fresh project, import from plain ESM, run the commands, type-check', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'logd-pack-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

  // Pack a copy, so that its prepare script rebuilds the copy's dist/, not the one other tests run.
  const copy = join(tmp, 'logd');
  const skip = new Set(['node_modules', 'dist', '.git', 'data', 'coverage', 'test', 'bench']);
  cpSync(ROOT, copy, { recursive: true, filter: (src) => !skip.has(src.slice(ROOT.length).split('/')[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const packed = await sh('npm', ['pack', '--json', '--pack-destination', tmp], copy);
  t.is(packed.code, 0, packed.stderr);
  const [{ filename, files }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  for (const needed of [
    'LICENSE',
    'CHANGELOG.md',
    'README.md',
    'package.json',
    'bin/logd.js',
    'dist/src/client/index.js',
    'dist/src/client/index.d.ts',
    'dist/src/main.js',
    'dist/src/http/page/index.html',
    'docs/CLIENT.md',
  ]) {
    t.true(paths.includes(needed), `the tarball holds ${needed}`);
  }
  const unwanted = paths.filter((p) => /^(test|bench|tools|src|\.ci)\/|\.(pem|key|ts)$|build-stamp/.test(p) && !p.endsWith('.d.ts'));
  t.deepEqual(unwanted, [], 'no sources, tests, fixtures, keys, bench results or build stamp');

  // A fresh project; its lockfile pins logd's dependencies as this repository's lockfile does.
  const project = join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { logd: `file:../${filename}` } }),
  );
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(installLockfile(ROOT, `file:../${filename}`)));
  const installed = await sh('npm', ['ci', '--offline', '--omit=optional', '--no-audit', '--no-fund'], project);
  t.is(installed.code, 0, installed.stderr);

  const server = await startServer({ id: 'pack', args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());

  // Plain Node ESM, no loader.
  writeFileSync(
    join(project, 'use.mjs'),
    `import { connect, LogdError } from 'logd';
const client = await connect({ host: '${server.host}', port: ${server.port} });
const id = await client.msg('pack', 'from the package');
let refused;
try { await client.head('bob'); } catch (err) { refused = err instanceof LogdError && err.code; }
await client.close();
console.log(JSON.stringify({ id, refused }));
`,
  );
  const used = await sh(process.execPath, ['use.mjs'], project);
  t.is(used.code, 0, used.stderr);
  t.deepEqual(JSON.parse(used.stdout), { id: 1, refused: 'nolog' });

  // The compiled commands, from node_modules/.bin.
  const bin = (name: string) => join(project, 'node_modules', '.bin', name);
  for (const name of ['logd', 'logtool', 'logtail']) t.is((await sh(bin(name), ['--version'], project)).stdout, `${name} ${pkg.version}\n`);
  const head = await sh(bin('logtool'), ['head', 'pack', '--host', server.host, '--port', String(server.port)], project);
  t.is(head.stdout, '1\n', 'logtool talks to a server without fs-ext');
  const noLock = await sh(bin('logd'), ['--data', join(tmp, 'data'), '--listen', '127.0.0.1:0'], project);
  t.is(noLock.code, 1, 'the server cannot run without its lock');
  t.regex(noLock.stderr, /^logd: cannot load fs-ext, which locks the data directory .*npm rebuild fs-ext/m);

  // TypeScript in the consuming project: the declarations resolve and type the client.
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(project, 'node_modules', '@types'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
      files: ['use.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  writeFileSync(
    join(project, 'use.ts'),
    `import { connect, LogdError, type LogRecord } from 'logd';
const client = await connect({ port: 1774 });
const id: number = await client.msg('alice', 'hi');
for await (const r of client.read('alice', id)) { const rec: LogRecord = r; console.log(rec.payload.length); }
export const code: string | undefined = new LogdError('nolog', 'x').code;
`,
  );
  const checked = await sh(tsc, ['-p', project], project);
  t.is(checked.code, 0, checked.stdout + checked.stderr);
  writeFileSync(
    join(project, 'use.ts'),
    `import { connect } from 'logd';\nconst client = await connect({ port: 1774 });\nexport const id: string = await client.msg('alice', 'hi');\n`,
  );
  const wrong = await sh(tsc, ['-p', project], project);
  t.not(wrong.code, 0, 'a type error in the consumer is found: the types are real');
  t.regex(wrong.stdout, /use\.ts.*TS2322: Type 'number' is not assignable to type 'string'/);
});
