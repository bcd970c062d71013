// Helpers for the storage tests: a store in a fresh temp directory, with its log lines captured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Store, type StoreOptions } from '../../src/storage/store.ts';

export interface Opened {
  store: Store;
  dir: string;
  lines: string[];
}

/** A temp directory removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'logd-storage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a store (fsync none, small chunks unless overridden); closed when the test ends. */
export async function openStore(t: ExecutionContext, dir: string, opts: Partial<StoreOptions> = {}): Promise<Opened> {
  const lines: string[] = [];
  const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: 1 << 20, maxMsg: 1 << 20, logger: (line) => lines.push(line), ...opts });
  t.teardown(() => store.close());
  return { store, dir, lines };
}

export function payloads(from: number, count: number, size = 10): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`${from + i}:`.padEnd(size, 'x')));
}

/** The payloads of the REC frames in `data`, as strings. */
export function payloadsOf(data: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const eol = data.indexOf('\r\n', pos);
    const len = Number(data.toString('latin1', pos, eol).split(' ')[3]);
    out.push(data.toString('latin1', eol + 2, eol + 2 + len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

/** The ids of the REC frames in `data`. */
export function idsOf(data: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    const eol = data.indexOf('\r\n', pos);
    const fields = data.toString('latin1', pos, eol).split(' ');
    out.push(Number(fields[1]));
    pos = eol + 2 + Number(fields[3]) + 2;
  }
  return out;
}
