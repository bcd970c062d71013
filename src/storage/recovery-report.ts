// The store's lines about recovery: one per log that lost bytes, had an index repaired or is
// damaged, and the totals once the background pass is done.
import { join } from 'node:path';
import type { RecoveredLog } from './recovery.ts';

/** Totals of the logs recovered since open, for the summary line. */
export class RecoveryTotals {
  logs = 0;
  records = 0;
  droppedBytes = 0;
  damaged = 0;
  failed = 0;

  /** Logs what recovery did to one log (nothing if nothing happened) and counts it. */
  add(name: string, recovered: RecoveredLog, dataDir: string, records: number, logger: (line: string) => void): void {
    if (recovered.damage) {
      const { file, offset, reason } = recovered.damage;
      this.damaged++;
      logger(`storage: log ${name} is damaged and not opened: ${join(dataDir, file)} at byte ${offset}: ${reason}; nothing was cut (see logtool repair)`);
      return;
    }
    if (recovered.droppedBytes > 0 || recovered.repairedIndexes > 0) {
      const chunks = recovered.droppedChunks > 0 ? ` (and ${recovered.droppedChunks} chunks after a torn sealed chunk)` : '';
      logger(
        `storage: log ${name}: dropped ${recovered.droppedBytes} bytes of torn, corrupt or uncommitted tail${chunks}; repaired ${recovered.repairedIndexes} index files`,
      );
    }
    if (recovered.indexWriteFailure) logger(`storage: log ${name}: cannot rewrite index ${recovered.indexWriteFailure}; kept in memory`);
    this.logs++;
    this.records += records;
    this.droppedBytes += recovered.droppedBytes;
  }

  /** The `recovery done` line. */
  summary(msAfterOpen: number): string {
    const damaged = this.damaged > 0 ? `, ${this.damaged} damaged logs not opened (logtool repair)` : '';
    const failed = this.failed > 0 ? `, ${this.failed} could not be opened` : '';
    return `storage: recovery done: ${this.logs} logs checked, ${this.records} records, ${this.droppedBytes} bytes dropped in recovery${damaged}${failed}, ${msAfterOpen.toFixed(0)} ms after open`;
  }
}
