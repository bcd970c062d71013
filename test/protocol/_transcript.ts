// Test helper: reads protocol/transcripts/*.txt (format: protocol/PROTOCOL.md, section 5) into
// steps, and matches server lines against expected ones.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TRANSCRIPT_DIR = fileURLToPath(new URL('../../protocol/transcripts/', import.meta.url));

export type Step =
  | { kind: 'send'; conn: number; bytes: Buffer; line: number }
  | { kind: 'expect'; conn: number; text: string; line: number }
  /** Skip server lines until one matches (e.g. to the STAT lines a transcript cares about). */
  | { kind: 'skipTo'; conn: number; text: string; line: number }
  | { kind: 'closed' | 'close'; conn: number; line: number }
  | { kind: 'exited'; line: number };

export interface Transcript {
  name: string;
  id: string;
  /** Server flags; `{tmp}` stands for the transcript's temp dir. */
  args: string[];
  /** Files written to the temp dir before the server starts. */
  files: { name: string; content: Buffer }[];
  /** A later issue this transcript waits for (runs as a known failure until then), or null. */
  needs: string | null;
  steps: Step[];
}

const STEP = /^(\d*)(>~|>|<<|<|!)(?: (.*))?$/;
const HEADER = /^#\s*(args|id|file|needs):\s*(.*)$/;

export function loadTranscripts(): Transcript[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => parseTranscript(f.slice(0, -4), readFileSync(TRANSCRIPT_DIR + f, 'utf8')));
}

export function parseTranscript(name: string, text: string): Transcript {
  const t: Transcript = { name, id: 'test', args: [], files: [], needs: null, steps: [] };
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const src = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (src.trim() === '') return;
    if (src.startsWith('#')) {
      const h = HEADER.exec(src);
      if (!h) return;
      const value = h[2]!.trim();
      if (h[1] === 'args') t.args.push(...value.split(/\s+/));
      else if (h[1] === 'id') t.id = value;
      else if (h[1] === 'needs') t.needs = value;
      else {
        const sp = value.indexOf(' ');
        t.files.push({ name: value.slice(0, sp), content: Buffer.concat([decodeEscapes(value.slice(sp + 1)), Buffer.from('\n')]) });
      }
      return;
    }
    const m = STEP.exec(src);
    if (!m) throw new Error(`${name}.txt:${line}: not a transcript line: ${src}`);
    const conn = m[1] === '' ? 1 : Number(m[1]);
    const body = m[3] ?? '';
    if (m[2] === '>') t.steps.push({ kind: 'send', conn, bytes: Buffer.concat([decodeEscapes(body), Buffer.from('\n')]), line });
    else if (m[2] === '>~') t.steps.push({ kind: 'send', conn, bytes: decodeEscapes(body), line });
    else if (m[2] === '<') t.steps.push({ kind: 'expect', conn, text: body, line });
    else if (m[2] === '<<') t.steps.push({ kind: 'skipTo', conn, text: body, line });
    else if (body === 'closed' || body === 'close') t.steps.push({ kind: body, conn, line });
    else if (body === 'exited') t.steps.push({ kind: 'exited', line });
    else throw new Error(`${name}.txt:${line}: unknown directive: ${body}`);
  });
  return t;
}

/** Everything the transcript sends on one connection, in order. */
export function clientBytes(t: Transcript, conn: number): Buffer {
  const sends = t.steps.filter((s) => s.kind === 'send' && s.conn === conn) as { bytes: Buffer }[];
  return Buffer.concat(sends.map((s) => s.bytes));
}

/** The connections a transcript uses. */
export function connections(t: Transcript): number[] {
  return [...new Set(t.steps.flatMap((s) => ('conn' in s ? [s.conn] : [])))].sort((a, b) => a - b);
}

/** Decodes `\r \n \t \\ \s \xHH` escapes; the rest is UTF-8. */
export function decodeEscapes(text: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 === text.length) {
      plain += c;
      continue;
    }
    const e = text[++i]!;
    const simple: Record<string, string> = { r: '\r', n: '\n', t: '\t', s: ' ', '\\': '\\' };
    if (e in simple) plain += simple[e];
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      parts.push(Buffer.from(plain), Buffer.from([parseInt(text.slice(i + 1, i + 3), 16)]));
      plain = '';
      i += 2;
    } else throw new Error(`bad escape \\${e} in ${JSON.stringify(text)}`);
  }
  parts.push(Buffer.from(plain));
  return Buffer.concat(parts);
}

/** The bytes an expected line stands for (its CRLF included); used to know how much to read. */
export function expectedLineFeeds(text: string): number {
  return decodeEscapes(text).filter((b) => b === 10).length + 1;
}

/**
 * True when `actual` (server bytes through the line's last LF) matches the expected line: a `*`
 * token matches any one token, a last token `...` matches the rest; the rest is compared exactly.
 */
export function lineMatches(text: string, actual: Buffer): boolean {
  const want = text.split(' ');
  const wild = want.some((w, i) => w === '*' || (w === '...' && i === want.length - 1));
  if (!wild) return actual.equals(Buffer.concat([decodeEscapes(text), Buffer.from('\r\n')]));
  if (actual.length < 2 || actual[actual.length - 2] !== 13) return false;
  const got = actual
    .subarray(0, actual.length - 2)
    .toString('latin1')
    .split(' ');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '...' && i === want.length - 1) return true;
    if (i >= got.length) return false;
    if (want[i] === '*' ? got[i] === '' : !decodeEscapes(want[i]!).equals(Buffer.from(got[i]!, 'latin1'))) return false;
  }
  return got.length === want.length;
}
