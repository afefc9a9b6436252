/**
 * (a) of the sdk-verify benchmark, in its own process: `verifier.verify(key)` for a cached key,
 * against the floor of the same work done by hand (SHA-256 of the key and one Map look-up).
 * Prints `RESULT <json>`.
 */
import { hash } from 'node:crypto';
// The built SDK (dist), as an app would run it.
import { createVerifier } from '@latchkey/sdk';

const env = process.env;
const key = env.BENCH_KEY!;
const verifier = createVerifier({
  apiUrl: env.LATCH_API_URL!,
  token: env.LATCH_TOKEN!,
  project: 'bench',
  environment: 'production',
});
await verifier.ready();
const first = await verifier.verify(key);
if (!first.valid) throw new Error(`bench key does not verify: ${first.code}`);

const floorMap = new Map([[hash('sha256', key, 'hex'), first]]);
const N = Number(env.BENCH_ITERATIONS) || 500_000;

function floor(): number {
  const start = performance.now();
  let hits = 0;
  for (let i = 0; i < N; i++) if (floorMap.get(hash('sha256', key, 'hex'))) hits++;
  if (hits !== N) throw new Error('floor missed');
  return N / ((performance.now() - start) / 1000);
}

async function sdk(): Promise<number> {
  const start = performance.now();
  let valid = 0;
  for (let i = 0; i < N; i++) if ((await verifier.verify(key)).valid) valid++;
  if (valid !== N) throw new Error('sdk verify was not valid every time');
  return N / ((performance.now() - start) / 1000);
}

// Warm-up, then alternating rounds so drift on a shared machine hits both alike.
floor();
await sdk();
const rounds: { floor: number; sdk: number }[] = [];
for (let r = 0; r < 3; r++) rounds.push({ floor: floor(), sdk: await sdk() });
const avg = (pick: (x: (typeof rounds)[number]) => number) =>
  rounds.reduce((a, x) => a + pick(x), 0) / rounds.length;
const stats = verifier.stats();
process.stdout.write(
  `RESULT ${JSON.stringify({ floor: avg((x) => x.floor), sdk: avg((x) => x.sdk), iterations: N, requests: stats.requests, rounds })}\n`,
);
await verifier.close();
process.exit(0);
