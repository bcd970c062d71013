// The participants file (--peers): one `<name> <host:port>` per line, `#` comments, blank lines
// ignored. The line named by this node's id is this node; every other line is a participant
// whose namespace this node replicates from that address. The file is re-read when it changes:
// a watch on its directory (editors replace files by rename, which a watch on the file itself
// would miss) plus a poll, since watches miss edits on some filesystems.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isValidName } from '../../protocol/names.ts';
import { splitHostPort } from '../arguments.ts';
import type { Logger } from '../logger.ts';

export interface Participant {
  name: string;
  host: string;
  port: number;
}

/** Parses the file's text; throws an Error naming the line for anything it cannot read. */
export function parseParticipants(text: string): Participant[] {
  const out: Participant[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, '').trim();
    if (!line) continue;
    const fail = (why: string) => new Error(`line ${i + 1}: ${why}: ${line}`);
    const words = line.split(/\s+/);
    if (words.length !== 2) throw fail('expected "<name> <host:port>"');
    const [name, address] = words as [string, string];
    if (!isValidName(name) || name.includes('.')) throw fail('not a valid node name');
    if (seen.has(name)) throw fail(`${name} is listed twice`);
    seen.add(name);
    const hostPort = splitHostPort(address, 'connect');
    if (hostPort === null) throw fail('bad address');
    out.push({ name, ...hostPort });
  }
  return out;
}

export function sameParticipant(a: Participant, b: Participant): boolean {
  return a.name === b.name && a.host === b.host && a.port === b.port;
}

/** How often the file is read even when no watch event came (the issue allows at most 2 s). */
const POLL_MS = 1000;

/**
 * Reads the participants file now and again whenever it changes; calls onChange with every new
 * list. A file that cannot be read or parsed keeps the previous list and logs one line per
 * distinct problem.
 */
export class ParticipantsWatcher {
  private text: string | null = null;
  private problem = '';
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  private again = false;

  constructor(
    readonly file: string,
    private readonly onChange: (list: Participant[]) => void,
    private readonly logger: Logger,
    private readonly pollMs = POLL_MS,
  ) {}

  /** The first read: a missing or bad file at start-up is an error for the caller. */
  async start(): Promise<Participant[]> {
    const text = await readFile(this.file, 'utf8');
    let list: Participant[];
    try {
      list = parseParticipants(text);
    } catch (err) {
      throw new Error(`participants file ${this.file}: ${(err as Error).message}`);
    }
    this.text = text;
    this.timer = setInterval(() => void this.check(), this.pollMs);
    try {
      const name = basename(this.file);
      this.watcher = watch(dirname(this.file), (_event, changed) => {
        if (changed === null || changed === name) void this.check();
      });
      this.watcher.on('error', () => this.closeWatch());
    } catch {
      // No watch on this filesystem: the poll alone notices changes.
    }
    return list;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closeWatch();
  }

  private closeWatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Reads the file; one read at a time, and one more if a change came in meanwhile. */
  private async check(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && this.timer);
    } finally {
      this.reading = false;
    }
  }

  private async readOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      return this.report(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (text === this.text || !this.timer) return;
    let list: Participant[];
    try {
      list = parseParticipants(text);
    } catch (err) {
      return this.report((err as Error).message);
    }
    this.text = text;
    this.problem = '';
    this.logger(`participants file ${this.file} changed: ${list.map((p) => `${p.name}=${p.host}:${p.port}`).join(' ') || '(empty)'}`);
    this.onChange(list);
  }

  private report(problem: string): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.logger(`participants file ${this.file}: ${problem}; keeping the previous list`);
  }
}
