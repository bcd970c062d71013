// The --fsync policy: when an append counts as durable.
import { LogdError } from '../../protocol/errors.ts';

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; ms: number } | { mode: 'none' };

/** Parses `always`, `interval:MS` (MS a positive integer) or `none`. */
export function parseFsyncPolicy(text: string): FsyncPolicy {
  if (text === 'always' || text === 'none') return { mode: text };
  const m = /^interval:([1-9][0-9]{0,8})$/.exec(text);
  if (m) return { mode: 'interval', ms: Number(m[1]) };
  throw new LogdError('syntax', `bad fsync policy "${text}": use always, interval:MS or none`);
}
