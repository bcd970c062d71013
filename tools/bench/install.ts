// Installs the peers' servers (Debian packages) when they are missing.
import { execFileSync, spawnSync } from 'node:child_process';

const PROGRAMS: Record<string, string> = { 'redis-server': 'redis-server', 'redis-benchmark': 'redis-server', 'nats-server': 'nats-server' };

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** apt-get installs whatever of redis-server and nats-server is missing (as root, or via sudo). */
export function ensurePeersInstalled(log: (line: string) => void): void {
  const packages = [
    ...new Set(
      Object.entries(PROGRAMS)
        .filter(([p]) => !has(p))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (packages.length === 0) return;
  log(`installing ${packages.join(' ')} (apt-get)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = ([program, ...args]: [string, ...string[]]): void => {
    execFileSync(sudo.length ? 'sudo' : program, sudo.length ? [program, ...args] : args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...packages]);
}

/** The first line a program prints for `args` (its version), or 'unknown'. */
export function versionOf(program: string, args: string[]): string {
  try {
    return execFileSync(program, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}
