// A small state file of the data directory (failover roles, divergence marks), replaced
// atomically and durably by replace-file.ts. Writes run one at a time (they share the temporary
// file), each with the state as it is when it starts, so the file ends with the newest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './replace-file.ts';

export class StateFile {
  private readonly path: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
  }

  /** The file's text, or null when it does not exist. */
  read(): string | null {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  replace(text: () => string): Promise<void> {
    const saved = this.saving.then(() => replaceFile(this.path, text()));
    this.saving = saved.catch(() => {});
    return saved;
  }
}
