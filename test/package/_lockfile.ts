// A lockfile for a project that depends on the packed logd only: logd's dependencies pinned to the
// versions, tarball URLs and integrity hashes of this repository's package-lock.json, so that
// `npm ci --offline` installs them from the npm cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  [field: string]: unknown;
}

export function installLockfile(root: string, tarball: string): object {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as LockEntry & { version: string; bin: object };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', dependencies: { logd: tarball } },
    'node_modules/logd': {
      version: pkg.version,
      resolved: tarball,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
    },
  };
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
  for (let name = names.pop(); name !== undefined; name = names.pop()) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const locked = lock.packages[key];
    if (locked === undefined) throw new Error(`${key} is not in package-lock.json`);
    const { dev: _dev, ...entry } = locked;
    packages[key] = entry;
    names.push(...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}));
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}
