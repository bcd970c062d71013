// Test helper: `logtool verify <dir>` (every chunk, index entry and CRC of a stopped node's data).
import { execFile } from 'node:child_process';
import { LOGTOOL } from '../_commands.ts';

export interface Verified {
  ok: boolean;
  /** Its whole output: the summary line, and DAMAGE / NOTE lines. */
  output: string;
  /** Records counted by the summary line. */
  records: number;
}

export function logtoolVerify(dir: string): Promise<Verified> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...LOGTOOL, 'verify', dir, '--quiet'], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const output = stdout + stderr;
      const m = /^OK: \d+ logs, \d+ chunks, (\d+) records/m.exec(stdout);
      resolve({ ok: !err && m !== null, output, records: m ? Number(m[1]) : 0 });
    });
  });
}
