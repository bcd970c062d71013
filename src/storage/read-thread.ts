// Large reads on the second core. A catch-up READ of large records spends most of its time
// copying from the page cache and checking CRCs (64 KiB records: about 6 us of CRC each); done on
// the event loop, that work and the socket writes share one core. Ranges of READ_THREAD_BYTES or
// more go to one worker thread, which reads and checks them and hands the buffer over (transferred,
// not copied). Any doubt (a bad frame, a short file, the thread gone) answers null: the caller
// reads again on the event loop, where damage is reported as always.
import { Worker } from 'node:worker_threads';
import type { ReadAnswer, ReadJob } from './verified-read-job.ts';

/** Ranges at least this large are read and checked on the read thread. */
export const READ_THREAD_BYTES = 256 * 1024;

interface Pending {
  resolve(answer: ReadAnswer | null): void;
}

/**
 * The worker: the compiled .js beside this file; run from the .ts sources (tests, tools under
 * tsx), the thread registers tsx first, since a worker does not inherit the `--import tsx` hooks.
 */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./read-thread-main.js', import.meta.url));
  const script = new URL('./read-thread-main.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(script)}))`, { eval: true });
}

class ReadThread {
  private worker: Worker | null = null;
  private broken = false;
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  /** Jobs it answered with verified records (a STATS-like figure for tests). */
  answered = 0;

  /** The job's verified records, or null (see above). */
  read(job: ReadJob): Promise<ReadAnswer | null> {
    const worker = this.start();
    if (!worker) return Promise.resolve(null);
    const seq = this.nextSeq++;
    return new Promise((resolve) => {
      this.pending.set(seq, { resolve });
      if (this.pending.size === 1) worker.ref(); // kept alive only while it has work
      worker.postMessage({ seq, job });
    });
  }

  private start(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    let worker: Worker;
    try {
      worker = newWorker();
    } catch {
      this.broken = true;
      return null;
    }
    worker.unref();
    worker.on('message', ({ seq, answer }: { seq: number; answer: ReadAnswer | null }) => this.answer(seq, answer));
    worker.on('error', () => this.fail());
    worker.on('exit', () => this.fail());
    this.worker = worker;
    return worker;
  }

  private answer(seq: number, answer: ReadAnswer | null): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    if (this.pending.size === 0) this.worker?.unref();
    if (answer) this.answered++;
    p.resolve(answer);
  }

  /** The thread died: every waiting read falls back, and later ones stay on the event loop. */
  private fail(): void {
    this.broken = true;
    this.worker = null;
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
  }
}

export const readThread = new ReadThread();
