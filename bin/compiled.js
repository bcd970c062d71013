// Runs one entry point of the compiled package (dist/, built by `npm run build`, which `npm ci`,
// `npm pack` and make run), with a plain message when it has not been built.
import { existsSync } from 'node:fs';

export async function runCompiled(entry) {
  const url = new URL(`../dist/${entry}`, import.meta.url);
  if (!existsSync(url)) {
    process.stderr.write(`${url.pathname} is missing: run "npm run build" (npm ci and make do it) in ${new URL('..', import.meta.url).pathname}\n`);
    process.exit(1);
  }
  await import(url.href);
}
