// logtail's position, kept in a state file so that a restart neither resends nor skips a line:
// the inode of the file being read, the offset after the last line the server acknowledged,
// and the id right before the one the next batch claims (its conditional append's next id - 1;
// used to recognise a batch that was stored just before a crash, whose acknowledgement never
// reached the state file: it can only have landed right after that id).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

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

/** Replaces the state file atomically (write a temp file, rename it over). */
export function saveState(path: string, state: TailState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, path);
}
