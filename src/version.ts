// The version of logd, for --version: read from the package's package.json, found upwards from
// this file (src/ when run from source, dist/src/ when compiled).
import { readFileSync } from 'node:fs';

export function logdVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'logd' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
