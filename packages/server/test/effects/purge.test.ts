import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp({ effects: { timeoutMs: 2000 } });

/** Inserts a finished effect with one attempt row, last updated `ageMs` before the test clock. */
async function seed(orgId: string, projectId: string, state: string, ageMs: number): Promise<string> {
  const id = `eff_${Math.random().toString(36).slice(2)}`;
  const at = new Date(t.clock.now().getTime() - ageMs);
  await t.database.db.execute(sql`
    INSERT INTO effects (id, message_id, org_id, project_id, kind, url, payload, state, schedule,
      next_attempt_at, created_at, updated_at)
    VALUES (${id}, ${`msg_${id}`}, ${orgId}, ${projectId}, 'app', 'http://127.0.0.1:9/x', 'null', ${state},
      '{}', ${at}, ${at}, ${at})`);
  return id;
}

const purge = (token: string, orgId: string, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/orgs/${orgId}/effects/purge`,
    headers: t.auth(token),
    payload: body,
  });

const count = async (orgId: string) =>
  (await t.database.db.execute(sql`SELECT count(*)::int AS n FROM effects WHERE org_id = ${orgId}`)).rows[0]!
    .n as number;

describe('effects purge', () => {
  it('deletes old effects in the state, one audit entry with the count; dry run changes nothing', async () => {
    const p = await makeProject(t);
    const old1 = await seed(p.orgId, p.projectId, 'dead', 8 * 86_400_000);
    await seed(p.orgId, p.projectId, 'dead', 9 * 86_400_000);
    const young = await seed(p.orgId, p.projectId, 'dead', 86_400_000);
    const delivered = await seed(p.orgId, p.projectId, 'delivered', 9 * 86_400_000);
    const dry = await purge(p.owner.token, p.orgId, { state: 'dead', olderThan: '7d', dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toEqual({ count: 2, dryRun: true });
    expect(await count(p.orgId)).toBe(4);
    const res = await purge(p.owner.token, p.orgId, { state: 'dead', olderThan: '7d' });
    expect(res.json()).toEqual({ count: 2, dryRun: false });
    const left = await t.database.db.execute(
      sql`SELECT id FROM effects WHERE org_id = ${p.orgId} ORDER BY id`,
    );
    expect(left.rows.map((r) => r.id).sort()).toEqual([young, delivered].sort());
    const shown = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/effects/${old1}`,
      headers: t.auth(p.owner.token),
    });
    expect(shown.statusCode).toBe(404);
    const audit = await t.database.db.execute(
      sql`SELECT data FROM audit_events WHERE org_id = ${p.orgId} AND action = 'effects.purged'`,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.data).toMatchObject({ state: 'dead', olderThan: '7d', count: 2 });
  });

  it('refuses waiting states and bad or too-short durations with 400 and a hint, changing nothing', async () => {
    const p = await makeProject(t);
    await seed(p.orgId, p.projectId, 'pending', 9 * 86_400_000);
    for (const body of [
      { state: 'pending', olderThan: '7d' },
      { state: 'retrying', olderThan: '7d' },
      { state: 'in_flight', olderThan: '7d' },
      { state: 'dead', olderThan: '30m' },
      { state: 'dead', olderThan: 'soon' },
    ]) {
      const res = await purge(p.owner.token, p.orgId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.hint).toBeTruthy();
    }
    expect(await count(p.orgId)).toBe(1);
  });

  it('needs effects:manage (developer → 403) and never touches another org', async () => {
    const p = await makeProject(t);
    const other = await makeProject(t);
    await seed(other.orgId, other.projectId, 'dead', 9 * 86_400_000);
    const dev = await t.signUp();
    await t.database.db.execute(
      sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${p.orgId}, ${dev.userId}, 'developer')`,
    );
    await seed(p.orgId, p.projectId, 'dead', 9 * 86_400_000);
    const denied = await purge(dev.token, p.orgId, { state: 'dead', olderThan: '7d' });
    expect(denied.statusCode).toBe(403);
    expect(await count(p.orgId)).toBe(1);
    const mine = await purge(p.owner.token, p.orgId, { state: 'dead', olderThan: '7d' });
    expect(mine.json().count).toBe(1);
    expect(await count(other.orgId)).toBe(1);
    const theirs = await purge(p.owner.token, other.orgId, { state: 'dead', olderThan: '7d' });
    expect(theirs.statusCode).toBe(404);
    expect(await count(other.orgId)).toBe(1);
  });
});
