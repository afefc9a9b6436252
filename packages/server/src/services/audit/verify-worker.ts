import { parentPort } from 'node:worker_threads';
import { checkChunk } from './chain-fast.js';

/**
 * One of verify.ts's hashing threads: checks the chunks of COPY tuples it is sent and answers
 * with their summaries. Imports only chain-fast.ts, so it starts quickly. Built to
 * dist/audit-verify-worker.js (tsup.config.ts).
 */
type Job = { id: number; buf: ArrayBuffer; checkpoint: { seq: number; hash: Uint8Array } | null };

parentPort!.on('message', (job: Job) => {
  parentPort!.postMessage({ id: job.id, summary: checkChunk(Buffer.from(job.buf), job.checkpoint) });
});
