// Chunk file names: `<first-id, 20 digits>.chunk` and its index `<first-id>.idx`.
import { join } from 'node:path';

const ID_DIGITS = 20;
export const CHUNK_SUFFIX = '.chunk';
export const INDEX_SUFFIX = '.idx';
const CHUNK_NAME = /^([0-9]{20})\.chunk$/;

export function chunkBaseName(firstId: number): string {
  return String(firstId).padStart(ID_DIGITS, '0');
}

/** The first id a chunk file name stands for, or undefined if the name is not a chunk's. */
export function chunkFirstId(fileName: string): number | undefined {
  const m = CHUNK_NAME.exec(fileName);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id >= 1 ? id : undefined;
}

/** Where a chunk's file and its index are. */
export interface ChunkPaths {
  firstId: number;
  chunkPath: string;
  indexPath: string;
}

export function chunkPaths(dir: string, firstId: number): ChunkPaths {
  const base = join(dir, chunkBaseName(firstId));
  return { firstId, chunkPath: base + CHUNK_SUFFIX, indexPath: base + INDEX_SUFFIX };
}
