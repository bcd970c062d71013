// Divergence survives a restart. A replica that diverged is recorded in `<data>/.diverged` (JSON:
// log -> the head it had, that record's stamp and the reason), written like .failover.json
// (temporary file, synced, renamed, directory synced). When the node starts again, a replica
// whose copy still ends at that same record is diverged at once, before asking any source: it is
// never served as a relay meanwhile. A copy moved away or copied anew (another head or stamp)
// drops its mark and follows again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../storage/replace-file.ts';

/** Data directory entries never start with '.' for logs, so no clash. */
const FILE = '.diverged';

export interface DivergedMark {
  head: number;
  /** `<ts> <len> <crc>` of record `head`. */
  stamp: string;
  reason: string;
}

export class DivergedMarks {
  private readonly marks: Record<string, DivergedMark>;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.marks = readMarks(join(dir, FILE));
  }

  get(log: string): DivergedMark | undefined {
    return this.marks[log];
  }

  set(log: string, mark: DivergedMark): Promise<void> {
    this.marks[log] = mark;
    return this.save();
  }

  drop(log: string): Promise<void> {
    if (!(log in this.marks)) return Promise.resolve();
    delete this.marks[log];
    return this.save();
  }

  /** One write at a time, each with the marks as they are when it starts. */
  private save(): Promise<void> {
    const file = join(this.dir, FILE);
    const saved = this.saving.then(() => replaceFile(file, JSON.stringify(this.marks) + '\n'));
    this.saving = saved.catch(() => {});
    return saved;
  }
}

function readMarks(file: string): Record<string, DivergedMark> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const marks = JSON.parse(text) as unknown;
  return marks !== null && typeof marks === 'object' ? (marks as Record<string, DivergedMark>) : {};
}
