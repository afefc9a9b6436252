/**
 * The SDK half of the sizing benchmark's memory measurement, in its own process (run by run.mjs
 * with `node --expose-gc --import tsx`, so `@latchkey/sdk` is the built SDK an app runs): a
 * verifier with room for every key, then the heap after a full GC before and after it has
 * verified (and so cached) BENCH_COUNT distinct real keys. Prints `RESULT <json>`.
 */
import { readFileSync } from 'node:fs';
import { createVerifier } from '@latchkey/sdk';

const env = process.env;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const tokens: string[] = JSON.parse(readFileSync(env.BENCH_TOKENS!, 'utf8'));
const from = Number(env.BENCH_FROM);
const count = Number(env.BENCH_COUNT);
const keys = tokens.slice(from, from + count);
const warmKeys = tokens.slice(from + count, from + count + 200);

const verifier = createVerifier({
  apiUrl: env.LATCH_API_URL!,
  token: env.LATCH_TOKEN!,
  project: 'bench',
  environment: 'production',
  cache: { maxEntries: count * 2 },
});
await verifier.ready();

async function verifyAll(list: string[]) {
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const key = list[next++]!;
      const answer = await verifier.verify(key);
      if (!answer.valid) throw new Error(`a real key did not verify: ${answer.code}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

const settle = async () => {
  // Usage rows are flushed in the background: let them go, so what stays is the cache.
  await verifier.flushUsage();
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
};

// The code paths warmed (and their one-time allocations made) on other keys first.
await verifyAll(warmKeys);
const before = await settle();
await verifyAll(keys);
const after = await settle();
const stats = verifier.stats();
// Still cached at the end (a hit answers synchronously): every one of them, or the figure is wrong.
let cached = 0;
for (const key of keys) {
  const answer = verifier.verifySync(key);
  if (!(answer instanceof Promise) && answer.valid) cached++;
}
process.stdout.write(
  `RESULT ${JSON.stringify({
    count,
    cached,
    heapPerKey: (after.heapUsed - before.heapUsed) / count,
    rssPerKey: (after.rss - before.rss) / count,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    stats,
  })}\n`,
);
await verifier.close();
process.exit(0);
