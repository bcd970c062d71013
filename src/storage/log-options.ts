// What every log of a store shares: the policy, the limits and the budgets.
import type { OpenFiles } from './open-files.ts';
import type { FsyncPolicy } from './policy.ts';
import type { TailBudget } from './tail-cache.ts';

export interface LogOptions {
  fsync: FsyncPolicy;
  chunkBytes: number;
  maxMsg: number;
  logger: (line: string) => void;
  /** The open files of all logs together. */
  files: OpenFiles;
  /** The memory all logs' tail caches may hold together. */
  tails: TailBudget;
}
