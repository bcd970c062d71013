// Test helpers for disk faults: a logd node in this process (so that a test can swap the storage
// io functions), and a small disk that fills up: a real 2 MiB tmpfs when this process may mount
// one (root), else a simulated one (io.write fails with ENOSPC past a byte budget).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, type ServerOptions } from '../../src/options.ts';
import { startLogd, type Logd } from '../../src/server.ts';
import { io } from '../../src/storage/io.ts';

export interface InProcessNode {
  node: Logd;
  port: number;
  /** Everything it logged. */
  lines: string[];
}

export async function startInProcess(dir: string, args: string[] = []): Promise<InProcessNode> {
  const lines: string[] = [];
  const options = parseOptions(['--id', 'test', '--data', dir, '--listen', '127.0.0.1:0', ...args]) as ServerOptions;
  const node = await startLogd(options, (line) => lines.push(line));
  return { node, port: node.port, lines };
}

export function enospc(syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', syscall });
}

export function eio(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', syscall });
}

export interface SmallDisk {
  dir: string;
  /** 'tmpfs' (the kernel's ENOSPC) or 'simulated'. */
  kind: string;
  /** Gives space back (deletes the ballast file, or raises the budget). */
  free(): void;
  remove(): void;
}

const SIZE = 2 * 1024 * 1024;
const BALLAST = 1024 * 1024;

export function smallDisk(): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'logd-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return simulated(dir);
  }
  // The ballast takes half the space; deleting it is "space returns".
  const ballast = join(dir, 'ballast');
  writeFileSync(ballast, Buffer.alloc(BALLAST));
  return {
    dir: join(dir, 'data'),
    kind: 'tmpfs',
    free: () => rmSync(ballast),
    remove: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function simulated(dir: string): SmallDisk {
  const realWrite = io.write;
  let budget = SIZE - BALLAST;
  io.write = async (fd, pieces, pos) => {
    const bytes = Buffer.concat(pieces);
    if (bytes.length > budget) {
      const part = Math.max(0, budget);
      budget = 0;
      if (part > 0) await realWrite(fd, [bytes.subarray(0, part)], pos); // a short write, then the disk is full
      throw enospc();
    }
    budget -= bytes.length;
    return realWrite(fd, pieces, pos);
  };
  return {
    dir: join(dir, 'data'),
    kind: 'simulated',
    free: () => (budget += BALLAST),
    remove: () => {
      io.write = realWrite;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
