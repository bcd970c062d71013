// A small state file of the data directory (failover roles, divergence marks), replaced
// atomically and durably: written to a temporary file with flush, renamed over the old one,
// directory synced. Writes run one at a time (they share the temporary file), each with the
// state as it is when it starts, so the file ends with the newest.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from './io.ts';

export class StateFile {
  private readonly path: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    name: string,
  ) {
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
    const saved = this.saving.then(async () => {
      await writeFile(this.path + '.tmp', text(), { flush: true });
      await rename(this.path + '.tmp', this.path);
      await syncDir(this.dir);
    });
    this.saving = saved.catch(() => {});
    return saved;
  }
}
