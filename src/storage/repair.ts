// `logtool repair DIR LOG` (node stopped): a log that recovery found damaged (recovery.ts), or
// whose records a read found corrupt (every chunk is scanned whole here), is made to open again by moving its unreadable part aside into `<log>/damaged/`, never deleting:
// the bytes of the damaged chunk from the damage on (copied, then cut), and every later chunk
// file and its index (renamed). What stays holds ids first..new head without a gap; a replica
// elsewhere can refill the rest (README, "Refilling a repaired log"). See protocol/STORAGE.md.
import fs from 'node:fs';
import { basename, join } from 'node:path';
import { chunkFirstId, chunkPaths, type ChunkPaths } from './chunk-names.ts';
import { currentBoot, DURABLE_FILE, writeDurable } from './durable.ts';
import { fsyncPathSync } from './io.ts';
import { chunksIn } from './listing.ts';
import { lockDataDir, unlockDataDir } from './lock.ts';
import { recoverLog, type Damage } from './recovery.ts';

export const DAMAGED_DIR = 'damaged';
/** Each round moves aside one damage and what follows it; more than a few means something else is wrong. */
const MAX_ROUNDS = 16;

export interface RepairReport {
  /** The damage found and moved aside, oldest first (empty: the log was not damaged). */
  damage: Damage[];
  /** What was moved, as `<from> -> <to>` relative to the data directory. */
  moved: string[];
  /** The log's ids after the repair. */
  first: number;
  head: number;
}

/** Repairs one log of a data directory no server holds (takes its LOCK). */
export async function repairLog(dataDir: string, log: string): Promise<RepairReport> {
  const logDir = join(dataDir, log);
  if (!fs.statSync(logDir).isDirectory()) throw new Error(`${logDir} is not a log directory`);
  const lockFd = lockDataDir(dataDir);
  try {
    const report: RepairReport = { damage: [], moved: [], first: 1, head: 0 };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const recovered = recoverLog(logDir, log, true);
      if (!recovered.damage) {
        const chunks = recovered.chunks;
        const active = chunks[chunks.length - 1]!; // recovery gives at least the active chunk
        report.first = chunks[0]!.firstId;
        report.head = active.firstId + active.count - 1;
        await writeDurable(logDir, { policy: recovered.durable?.policy ?? 'always', boot: currentBoot(), chunk: active.firstId, bytes: active.size }, true);
        for (const chunk of chunks) chunk.close();
        return report;
      }
      report.damage.push(recovered.damage);
      const before = report.moved.length;
      moveAside(dataDir, log, recovered.damage, report.moved);
      if (report.moved.length === before)
        throw new Error(`cannot repair ${log}: nothing to move aside for ${recovered.damage.file} at byte ${recovered.damage.offset}`);
    }
    throw new Error(`cannot repair ${log}: still damaged after ${MAX_ROUNDS} rounds (moved so far: ${report.moved.join(', ')})`);
  } finally {
    unlockDataDir(lockFd);
  }
}

/** Moves the damaged chunk's bytes from the damage on, and every later chunk, into damaged/. */
function moveAside(dataDir: string, log: string, damage: Damage, moved: string[]): void {
  const logDir = join(dataDir, log);
  const aside = join(logDir, DAMAGED_DIR);
  fs.mkdirSync(aside, { recursive: true });
  const damagedId = chunkFirstId(damage.file.slice(log.length + 1));
  const move = (name: string, to = name): void => {
    const target = unique(aside, to);
    fs.renameSync(join(logDir, name), join(aside, target));
    moved.push(`${log}/${name} -> ${log}/${DAMAGED_DIR}/${target}`);
  };
  if (damagedId === undefined) throw new Error(`not a chunk file: ${damage.file}`);
  const damaged = chunkPaths(logDir, damagedId);
  const path = damaged.chunkPath;
  const name = basename(path);
  /** A moved chunk's index goes with it (a cache: rebuilt from the chunk on open). */
  const moveIndex = (chunk: ChunkPaths): void => {
    if (fs.existsSync(chunk.indexPath)) move(basename(chunk.indexPath));
  };
  const stat = fs.statSync(path, { throwIfNoEntry: false });
  if (!stat) {
    // No chunk files at all, but a durable point: the marker goes aside, the log restarts empty.
    if (fs.existsSync(join(logDir, DURABLE_FILE))) move(DURABLE_FILE);
  } else if (damage.stray) {
    move(name); // a file that holds no record of the log: it alone goes
    moveIndex(damaged);
    fsyncPathSync(aside);
    fsyncPathSync(logDir);
    return;
  } else if (damage.offset === 0) {
    move(name);
  } else if (damage.offset < stat.size) {
    const target = unique(aside, `${name}.from-${damage.offset}`);
    copyTail(path, damage.offset, join(aside, target));
    fsyncPathSync(aside);
    fs.truncateSync(path, damage.offset);
    fsyncPathSync(path);
    moved.push(`${log}/${name} bytes ${damage.offset}..${stat.size} -> ${log}/${DAMAGED_DIR}/${target}`);
  }
  moveIndex(damaged);
  for (const later of chunksIn(logDir)) {
    if (later.firstId <= damagedId) continue;
    move(basename(later.chunkPath));
    moveIndex(later);
  }
  fsyncPathSync(aside);
  fsyncPathSync(logDir);
}

function copyTail(from: string, offset: number, to: string): void {
  const src = fs.openSync(from, 'r');
  const dst = fs.openSync(to, 'wx');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = offset; ; ) {
      const n = fs.readSync(src, buf, 0, buf.length, pos);
      if (n === 0) break;
      fs.writeSync(dst, buf, 0, n);
      pos += n;
    }
    fs.fsyncSync(dst);
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

/** `name`, or `name.2`, `name.3`... if an earlier repair left one. */
function unique(dir: string, name: string): string {
  let candidate = name;
  for (let n = 2; fs.existsSync(join(dir, candidate)); n++) candidate = `${name}.${n}`;
  return candidate;
}
