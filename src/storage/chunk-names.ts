// Chunk file names: `<first-id, 20 digits>.chunk` and its index `<first-id>.idx`.
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
