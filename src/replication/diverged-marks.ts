// Divergence survives a restart. A replica that diverged is recorded in `<data>/.diverged` (JSON:
// log -> the head it had, that record's stamp and the reason), replaced atomically and durably
// like .failover.json (a StateFile, log-access.ts, given by the wiring). When the node starts again, a replica
// whose copy still ends at that same record is diverged at once, before asking any source: it is
// never served as a relay meanwhile. A copy moved away or copied anew (another head or stamp)
// drops its mark and follows again.
import type { StateFile } from '../log-access.ts';

/** The file's name in the data directory (log directories never start with '.', so no clash). */
export const DIVERGED_FILE = '.diverged';

export interface DivergedMark {
  head: number;
  /** `<ts> <len> <crc>` of record `head`. */
  stamp: string;
  reason: string;
}

export class DivergedMarks {
  private readonly marks: Record<string, DivergedMark>;

  constructor(private readonly file: StateFile) {
    this.marks = parseMarks(file.read());
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

  private save(): Promise<void> {
    return this.file.replace(() => JSON.stringify(this.marks) + '\n');
  }
}

function parseMarks(text: string | null): Record<string, DivergedMark> {
  if (text === null) return {};
  const marks = JSON.parse(text) as unknown;
  return marks !== null && typeof marks === 'object' ? (marks as Record<string, DivergedMark>) : {};
}
