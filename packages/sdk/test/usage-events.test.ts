import { afterEach, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions } from '../src/index.js';
import { useLatchkey } from './helpers/latchkey.js';

const lk = useLatchkey();
const open: Verifier[] = [];
afterEach(async () => {
  for (const v of open.splice(0)) await v.close();
});

async function verifier(extra: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const v = createVerifier({ ...lk.verifierOptions(), ...extra });
  open.push(v);
  await v.ready();
  return v;
}

const rowsOf = async (keyId: string) =>
  (
    await lk.t.database.pool.query(
      'SELECT outcome, count, latency_ms, at FROM usage_events WHERE key_id = $1 ORDER BY at, id',
      [keyId],
    )
  ).rows as { outcome: string; count: number; latency_ms: number; at: Date }[];

describe('usage events from the SDK', () => {
  it('reports every cached verification as its own event, with its time', async () => {
    const v = await verifier({ usage: { flushIntervalMs: 60_000 } });
    const key = await lk.project.createKey();
    for (let i = 0; i < 5; i++) await v.verify(key.token);
    await v.flushUsage();
    const rows = await rowsOf(key.id);
    expect(rows.map((r) => [r.outcome, r.count])).toEqual(Array(5).fill(['VALID', 1]));
    // Times are the SDK's, capped by the server's (test) clock.
    for (const r of rows) expect(r.at.getTime()).toBeLessThanOrEqual(lk.t.clock.now().getTime());
    expect(rows[0]!.latency_ms).toBeGreaterThan(0); // the miss that asked the server
  });

  it('past maxEvents, outcomes are still counted: the rest is stored as one aggregate row', async () => {
    const v = await verifier({ usage: { flushIntervalMs: 60_000, maxEvents: 2 } });
    const key = await lk.project.createKey();
    for (let i = 0; i < 6; i++) await v.verify(key.token);
    await v.flushUsage();
    const rows = await rowsOf(key.id);
    expect(rows.map((r) => r.count).sort()).toEqual([1, 1, 4]);
  });

  it('revoked keys report as denials (their own outcome code)', async () => {
    const v = await verifier({ usage: { flushIntervalMs: 60_000 } });
    const key = await lk.project.createKey();
    await lk.t.app.inject({
      method: 'DELETE',
      url: `${lk.project.base}/api-keys/${key.id}`,
      headers: lk.t.auth(lk.project.owner.token),
    });
    expect((await v.verify(key.token)).valid).toBe(false);
    await v.flushUsage();
    expect((await rowsOf(key.id)).map((r) => r.outcome)).toEqual(['REVOKED']);
  });
});
