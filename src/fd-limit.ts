// How many descriptors this process may open (RLIMIT_NOFILE, the soft limit: `ulimit -n`), and
// how logd shares them: Node has no getrlimit, so the limit is read from /proc/self/limits, or
// asked of a shell where there is no /proc. Storage keeps at most a quarter of them open (chunk
// and index files, all logs together: open-files.ts), replication follows at most a quarter's
// worth of replica logs (each holds one connection to its source), and the rest is left for
// client connections (--max-conns is lowered to fit: past it a client gets `ERR busy` instead of
// a reset), peer links and short-lived files.
import { readFileSync } from 'node:fs';
import { nodeChildProcess } from './wire/lazy-builtins.ts';

/** Assumed when the limit cannot be read: the usual default soft limit. */
const DEFAULT_LIMIT = 1024;
/** Descriptors set aside before sharing: stdio, the LOCK, the listener, libuv's own, directory syncs. */
const RESERVED = 32;
/** Nor fewer than this for storage or for replicas, however low the limit. */
const MIN_SHARE = 16;

export interface FdPlan {
  /** The process's descriptor limit. */
  limit: number;
  /** Descriptors storage keeps open at most (`--max-open-files`, else a quarter of the limit). */
  storageFiles: number;
  /** Replica logs followed at most at once (a quarter of the limit). */
  replicas: number;
  /** Client connections that fit in what is left. */
  connections: number;
}

/** The soft RLIMIT_NOFILE of this process. */
export function fdLimit(): number {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (line) return line[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(line[1]);
  } catch {
    // No /proc: ask a shell, which inherits our limits.
  }
  try {
    const text = nodeChildProcess().execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'latin1', timeout: 2000 }).trim();
    return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text) || DEFAULT_LIMIT;
  } catch {
    return DEFAULT_LIMIT;
  }
}

export function planFds(limit: number, storageFiles?: number): FdPlan {
  const share = Math.max(MIN_SHARE, Math.floor((limit - RESERVED) / 4));
  const storage = storageFiles ?? share;
  return { limit, storageFiles: storage, replicas: share, connections: Math.max(MIN_SHARE, limit - RESERVED - storage - share) };
}
