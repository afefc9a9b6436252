/**
 * (a) of the sdk-verify benchmark, in its own process: `await verifier.verify(key)` and
 * `verifier.verifySync(key)` for a cached key, against the floor of the same work done by hand
 * (SHA-256 of the key and one Map look-up). Prints `RESULT <json>`.
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
const ROUNDS = Number(env.BENCH_ROUNDS) || 9;

function floor(): number {
  const start = performance.now();
  let hits = 0;
  for (let i = 0; i < N; i++) if (floorMap.get(hash('sha256', key, 'hex'))) hits++;
  if (hits !== N) throw new Error('floor missed');
  return N / ((performance.now() - start) / 1000);
}

async function verify(): Promise<number> {
  const start = performance.now();
  let valid = 0;
  for (let i = 0; i < N; i++) if ((await verifier.verify(key)).valid) valid++;
  if (valid !== N) throw new Error('sdk verify was not valid every time');
  return N / ((performance.now() - start) / 1000);
}

function verifySync(): number {
  const start = performance.now();
  let valid = 0;
  for (let i = 0; i < N; i++) {
    const answer = verifier.verifySync(key);
    if (!(answer instanceof Promise) && answer.valid) valid++;
  }
  if (valid !== N) throw new Error('verifySync did not answer from the cache every time');
  return N / ((performance.now() - start) / 1000);
}

// Warm-up, then rounds in a rotating order so drift on a shared machine hits all three alike;
// the ratios are medians of per-round ratios (each against the floor of the same round).
floor();
await verify();
verifySync();
const rounds: { floor: number; verify: number; verifySync: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const round = { floor: 0, verify: 0, verifySync: 0 };
  const order = [
    async () => {
      round.floor = floor();
    },
    async () => {
      round.verify = await verify();
    },
    async () => {
      round.verifySync = verifySync();
    },
  ];
  for (let i = 0; i < order.length; i++) await order[(i + r) % order.length]!();
  rounds.push(round);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const stats = verifier.stats();
process.stdout.write(
  `RESULT ${JSON.stringify({
    floor: median(rounds.map((x) => x.floor)),
    verify: median(rounds.map((x) => x.verify)),
    verifySync: median(rounds.map((x) => x.verifySync)),
    verifyRatio: median(rounds.map((x) => x.verify / x.floor)),
    verifySyncRatio: median(rounds.map((x) => x.verifySync / x.floor)),
    iterations: N,
    requests: stats.requests,
    rounds,
  })}\n`,
);
await verifier.close();
process.exit(0);
