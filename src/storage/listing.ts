// What a data directory and a log directory hold, read by name the one way that the store,
// recovery, repair and logtool all use: a log is a directory with a valid log name, a chunk is an
// entry named `<first-id, 20 digits>.chunk` (whatever it is: recovery and logtool report an entry
// that is not a regular file), with its index `<first-id>.idx` beside it. Anything else is left alone.
import fs from 'node:fs';
import { isValidName } from '../../protocol/names.ts';
import { chunkFirstId, chunkPaths, type ChunkPaths } from './chunk-names.ts';

/** The logs of a data directory (its directories with a valid log name), sorted. */
export function logsIn(dataDir: string): string[] {
  return fs
    .readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isValidName(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** The chunks of a log directory, oldest first. */
export function chunksIn(logDir: string): ChunkPaths[] {
  return fs
    .readdirSync(logDir)
    .map(chunkFirstId)
    .filter((id): id is number => id !== undefined)
    .sort((a, b) => a - b)
    .map((firstId) => chunkPaths(logDir, firstId));
}
