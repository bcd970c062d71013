// The read thread's entry point (read-thread.ts): runs each job and transfers the buffer back.
import { parentPort } from 'node:worker_threads';
import { type ReadJob, runReadJob } from './verified-read-job.ts';

const port = parentPort!;
port.on('message', ({ seq, job }: { seq: number; job: ReadJob }) => {
  let answer = null;
  try {
    answer = runReadJob(job);
  } catch {
    // A failed read: the event loop reads again and reports it.
  }
  port.postMessage({ seq, answer }, answer ? [answer.buffer] : []);
});
