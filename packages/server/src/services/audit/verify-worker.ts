import { parentPort } from 'node:worker_threads';
import { checkChunk } from './chain-fast.js';

/**
 * One of verify.ts's hashing threads: checks the chunks of COPY tuples it is sent (buf[start,
 * end)) and answers with their summaries, handing each buffer back to be filled again. Imports
 * only chain-fast.ts, so it starts quickly. Built to dist/audit-verify-worker.js (tsup.config.ts).
 */
type Job = {
  id: number;
  buf: ArrayBuffer;
  start: number;
  end: number;
  checkpoint: { seq: number; hash: Uint8Array } | null;
};

parentPort!.on('message', (job: Job) => {
  const summary = checkChunk(Buffer.from(job.buf, job.start, job.end - job.start), job.checkpoint);
  parentPort!.postMessage({ id: job.id, summary, buf: job.buf }, [job.buf]);
});
