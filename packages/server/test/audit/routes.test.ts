import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

/** An owner with a few changes recorded, and a viewer and an admin in the same org. */
async function orgWithHistory() {
  const owner = await t.signUp();
  const org = owner.personalOrgId;
  const members: Record<'viewer' | 'admin', string> = { viewer: '', admin: '' };
  for (const role of ['viewer', 'admin'] as const) {
    const m = await t.signUp();
    await t.database.db.execute(
      sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${org}, ${m.userId}, ${role})`,
    );
    members[role] = m.token;
  }
  for (const name of ['one', 'two', 'three']) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org}/projects`,
      headers: t.auth(owner.token),
      payload: { name: `${name}-${org.slice(-6)}`.toLowerCase() },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  return { owner, org, ...members };
}

const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: t.auth(token) });
const post = (url: string, token: string, payload: object = {}) =>
  t.app.inject({ method: 'POST', url, headers: t.auth(token), payload });

describe('the audit routes', () => {
  it('list: newest first, filtered, paged, and the read itself recorded', async () => {
    const { owner, org } = await orgWithHistory();
    const first = await get(`/api/v1/orgs/${org}/audit?limit=2&action=project.*`, owner.token);
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json();
    expect(page.items).toHaveLength(2);
    expect(page.items.map((e: { action: string }) => e.action)).toEqual([
      'project.created',
      'project.created',
    ]);
    expect(page.items[0].seq).toBeGreaterThan(page.items[1].seq);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await get(
      `/api/v1/orgs/${org}/audit?limit=2&action=project.*&cursor=${page.nextCursor}`,
      owner.token,
    );
    expect(next.json().items).toHaveLength(1);
    expect(next.json().nextCursor).toBeNull();

    const reads = await get(`/api/v1/orgs/${org}/audit?action=audit.listed`, owner.token);
    const listed = reads.json().items;
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed[0].actor).toMatchObject({ type: 'user', id: owner.userId, label: owner.email });
    expect(listed[0].actor.requestId).toEqual(expect.any(String));
    expect(listed.at(-1).data).toEqual({ action: 'project.*' });
  });

  it('a viewer has logs:read but not audit:read; an admin reads it', async () => {
    const { org, viewer, admin } = await orgWithHistory();
    for (const [method, path] of [
      ['GET', 'audit'],
      ['GET', 'audit/export'],
      ['POST', 'audit/verify'],
      ['POST', 'audit/checkpoints'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/v1/orgs/${org}/${path}`,
        headers: t.auth(viewer),
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(res.json().error.message).toContain('audit:read');
    }
    expect((await get(`/api/v1/orgs/${org}/audit`, admin)).statusCode).toBe(200);
  });

  it("another org's log answers 404 and never shows its rows", async () => {
    const a = await orgWithHistory();
    const b = await orgWithHistory();
    const res = await get(`/api/v1/orgs/${b.org}/audit`, a.owner.token);
    expect(res.statusCode).toBe(404);
    const mine = (await get(`/api/v1/orgs/${a.org}/audit?limit=500`, a.owner.token)).json().items;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e: { actor: { id: string } }) => e.actor.id !== b.owner.userId)).toBe(true);
    const exported = await get(`/api/v1/orgs/${a.org}/audit/export`, a.owner.token);
    expect(exported.body).not.toContain(b.owner.userId);
  });

  it('export streams NDJSON oldest first, with --since, and is recorded', async () => {
    const { owner, org } = await orgWithHistory();
    const res = await get(`/api/v1/orgs/${org}/audit/export?action=project.created`, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    expect(res.body.endsWith('\n')).toBe(true);
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].seq).toBeLessThan(lines[2].seq);
    expect(lines.every((l) => /^[0-9a-f]{64}$/.test(l.hash) && /^[0-9a-f]{64}$/.test(l.prevHash))).toBe(true);

    const future = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const none = await get(
      `/api/v1/orgs/${org}/audit/export?since=${encodeURIComponent(future)}`,
      owner.token,
    );
    expect(none.body).toBe('');
    const recorded = (await get(`/api/v1/orgs/${org}/audit?action=audit.exported`, owner.token)).json().items;
    expect(recorded).toHaveLength(2);
    expect(recorded[0].data).toEqual({ since: future });

    const bad = await get(`/api/v1/orgs/${org}/audit/export?since=yesterday`, owner.token);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_INPUT');
  });

  it('checkpoint, then verify against it; an altered checkpoint is refused', async () => {
    const { owner, org } = await orgWithHistory();
    const cp = await post(`/api/v1/orgs/${org}/audit/checkpoints`, owner.token);
    expect(cp.statusCode, cp.body).toBe(201);
    const checkpoint = cp.json();
    expect(checkpoint).toMatchObject({ type: 'latchkey.audit.checkpoint', v: 1, org });
    expect(checkpoint.seq).toBeGreaterThanOrEqual(3);

    const plain = await post(`/api/v1/orgs/${org}/audit/verify`, owner.token);
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.json()).toMatchObject({ ok: true });
    const against = await post(`/api/v1/orgs/${org}/audit/verify`, owner.token, { checkpoint });
    expect(against.json()).toMatchObject({ ok: true, checkpoint: { seq: checkpoint.seq, matched: true } });

    const altered = await post(`/api/v1/orgs/${org}/audit/verify`, owner.token, {
      checkpoint: { ...checkpoint, seq: checkpoint.seq - 1 },
    });
    expect(altered.statusCode).toBe(400);
    expect(altered.json().error.message).toContain('altered');

    // An edited row is named.
    await t.database.db.execute(
      sql`UPDATE audit_events SET data = '{"name":"forged"}' WHERE org_id = ${org} AND seq = 2`,
    );
    const broken = (await post(`/api/v1/orgs/${org}/audit/verify`, owner.token)).json();
    expect(broken).toMatchObject({ ok: false, firstBad: { seq: 2, reason: 'edited' } });
  });
});
