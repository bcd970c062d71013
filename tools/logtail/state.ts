// logtail's position, kept in a state file so that a restart neither resends nor skips a line:
// the inode of the file being read, the offset after the last line the server acknowledged,
// and the id right before the one the next batch claims (its conditional append's next id - 1;
// used to recognise a batch that was stored just before a crash, whose acknowledgement never
// reached the state file: it can only have landed right after that id).
import { readFileSync } from 'node:fs';
import { replaceFileSync } from '../../src/storage/replace-file.ts';

export interface TailState {
  ino: number;
  offset: number;
  /** The id before the one the next batch claims: the last acknowledged line's, or after a conflict the log's head then. */
  lastId: number;
}

export function loadState(path: string): TailState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const s = JSON.parse(text) as Partial<TailState>;
  if (![s.ino, s.offset, s.lastId].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new Error(`state file ${path} is not valid: ${text.slice(0, 100)}`);
  }
  return s as TailState;
}

/** Replaces the state file atomically and durably: after a crash or power loss it holds this state or the one before. */
export function saveState(path: string, state: TailState): void {
  replaceFileSync(path, `${JSON.stringify(state)}\n`);
}
