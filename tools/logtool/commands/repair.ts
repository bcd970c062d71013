import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { arity, name, EXIT_OK, NotFoundError, type Subcommand } from '../cli.ts';
import { repairLog } from '../../../src/storage/repair.ts';

export const repair: Subcommand = {
  summary: 'make a damaged log open again, moving its unreadable part aside',
  usage: `repair <dir> <log>

For a log that logd refuses to open because it is damaged (ERR internal <log> is damaged:
<file> <offset>; logtool verify reports DAMAGE): moves the unreadable part aside into
<dir>/<log>/damaged/ (the damaged chunk's bytes from the damage on, every later chunk file and
the index files, which are rebuilt), never deleting anything, so that the log holds ids
<first>..<new head> without a gap and opens. Prints what it moved and the new head; a log that
is not damaged is left as it is. The server must be stopped (the data directory's LOCK).
Records after the damage can then be refilled from a replica: see logtool refill.`,
  network: false,
  options: {},
  async run(positionals) {
    arity(positionals, 2, 2);
    const [dir] = positionals;
    const log = name(positionals[1], 'log name');
    if (!(await stat(join(dir, log)).catch(() => null))?.isDirectory()) throw new NotFoundError(`no log ${log} in ${dir}`);
    const report = await repairLog(dir, log);
    if (report.damage.length === 0) console.log(`${log}: not damaged, nothing moved (ids ${report.first}..${report.head})`);
    for (const d of report.damage) console.log(`damage ${d.file} at byte ${d.offset}: ${d.reason}`);
    for (const m of report.moved) console.log(`moved ${m}`);
    if (report.damage.length > 0) console.log(`${log}: repaired, ids ${report.first}..${report.head}`);
    return EXIT_OK;
  },
};
