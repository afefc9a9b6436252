import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, createOrg } from './fixtures.js';

const t = useTestApp();

const membersUrl = (org: string, member?: string) =>
  `/api/v1/orgs/${org}/members${member === undefined ? '' : `/${encodeURIComponent(member)}`}`;

describe('members', () => {
  it('lists members with their roles, paged, with the org named in any case', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner, `acme-${Date.now()}`);
    t.clock.advance(1000);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    t.clock.advance(1000);
    const viewer = await addMember(t, owner.token, org.id, 'viewer');

    const all = await call(t, viewer.token, 'GET', membersUrl(org.name.toUpperCase()));
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      [viewer.email, 'viewer'],
      [dev.email, 'developer'],
      [owner.email, 'owner'],
    ]);

    const first = await call(t, owner.token, 'GET', `${membersUrl(org.name)}?limit=2`);
    expect(first.json().items).toHaveLength(2);
    const rest = await call(
      t,
      owner.token,
      'GET',
      `${membersUrl(org.name)}?limit=2&cursor=${first.json().nextCursor}`,
    );
    expect(rest.json()).toEqual({
      items: [expect.objectContaining({ userId: owner.userId })],
      nextCursor: null,
    });

    const badCursor = await call(t, owner.token, 'GET', `${membersUrl(org.id)}?cursor=garbage`);
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.code).toBe('INVALID_INPUT');
  });

  it('changes roles within the rules, with an audit row', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const patch = (token: string, member: string, role: string) =>
      call(t, token, 'PATCH', membersUrl(org.id, member), { role });

    const promoted = await patch(admin.token, dev.email.toUpperCase(), 'admin');
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({ userId: dev.userId, role: 'admin' });
    const [last] = (await auditRows(t, org.id)).slice(-1);
    expect(last).toMatchObject({
      action: 'member.role_changed',
      actor_id: admin.userId,
      target_id: dev.userId,
      data: { email: dev.email, from: 'developer', to: 'admin' },
    });

    const adminMakesOwner = await patch(admin.token, dev.userId, 'owner');
    expect(adminMakesOwner.statusCode).toBe(403);
    expect(adminMakesOwner.json().error.message).toContain('Only an owner');
    const adminDemotesOwner = await patch(admin.token, owner.userId, 'viewer');
    expect(adminDemotesOwner.statusCode).toBe(403);

    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const byViewer = await patch(viewer.token, dev.userId, 'viewer');
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error.message).toContain('members:manage');

    expect((await patch(owner.token, admin.userId, 'owner')).json().role).toBe('owner');
    const asOwner = await call(t, admin.token, 'GET', `/api/v1/orgs/${org.id}`);
    expect(asOwner.json().role).toBe('owner');
  });

  it('refuses bad role changes with 400 INVALID_INPUT', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    for (const body of [{ role: 'superuser' }, { role: 'viewer', admin: true }, {}]) {
      const res = await call(t, owner.token, 'PATCH', membersUrl(org.id, dev.userId), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
    }
  });

  it('keeps at least one owner: the last one cannot be demoted, removed or leave (409)', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);

    const demote = await call(t, owner.token, 'PATCH', membersUrl(org.id, owner.userId), { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.message).toContain('last owner');
    expect(demote.json().error.hint).toContain('Make another member an owner first');
    const remove = await call(t, owner.token, 'DELETE', membersUrl(org.id, owner.email));
    expect(remove.statusCode).toBe(409);
    const leave = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/leave`);
    expect(leave.statusCode).toBe(409);
    expect(leave.json().error.message).toContain('You cannot leave');

    const second = await addMember(t, owner.token, org.id, 'owner');
    expect(
      (await call(t, owner.token, 'PATCH', membersUrl(org.id, owner.userId), { role: 'admin' })).statusCode,
    ).toBe(200);
    const now = await call(t, second.token, 'DELETE', membersUrl(org.id, second.userId));
    expect(now.statusCode).toBe(409);
  });

  it('lets only one of two owners demoting each other at the same moment win', async () => {
    const a = await t.signUp();
    const org = await createOrg(t, a);
    const b = await addMember(t, a.token, org.id, 'owner');
    const results = await Promise.all([
      call(t, a.token, 'PATCH', membersUrl(org.id, b.userId), { role: 'admin' }),
      call(t, b.token, 'PATCH', membersUrl(org.id, a.userId), { role: 'admin' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 403]);
    const owners = (await call(t, a.token, 'GET', membersUrl(org.id)))
      .json()
      .items.filter((m: { role: string }) => m.role === 'owner');
    expect(owners).toHaveLength(1);
  });

  it('removes members by email or id within the rules, and they lose access', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const viewer = await addMember(t, owner.token, org.id, 'viewer');

    const byDev = await call(t, dev.token, 'DELETE', membersUrl(org.id, viewer.email));
    expect(byDev.statusCode).toBe(403);
    expect(byDev.json().error.message).toContain('members:write');

    const scoped = await t.app.services.tokens.createPat(owner.actor, {
      name: 'remover',
      scopes: ['members:write'],
    });
    const scopedAdmin = await call(t, scoped.token, 'DELETE', membersUrl(org.id, admin.userId));
    expect(scopedAdmin.statusCode).toBe(403);
    expect(scopedAdmin.json().error.message).toContain('members:manage');

    expect((await call(t, admin.token, 'DELETE', membersUrl(org.id, owner.userId))).statusCode).toBe(403);

    const removed = await call(t, admin.token, 'DELETE', membersUrl(org.id, dev.email.toUpperCase()));
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ userId: dev.userId, role: 'developer' });
    expect((await call(t, dev.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(404);
    expect((await call(t, admin.token, 'DELETE', membersUrl(org.id, dev.email))).statusCode).toBe(404);

    expect((await call(t, owner.token, 'DELETE', membersUrl(org.id, admin.userId))).statusCode).toBe(200);
    const [last] = (await auditRows(t, org.id)).slice(-1);
    expect(last).toMatchObject({
      action: 'member.removed',
      actor_id: owner.userId,
      target_id: admin.userId,
      data: { email: admin.email, role: 'admin', left: false },
    });
  });

  it('lets any member leave, even without members:write', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const left = await call(t, viewer.token, 'POST', `/api/v1/orgs/${org.name}/leave`);
    expect(left.statusCode).toBe(200);
    expect(left.json()).toMatchObject({ userId: viewer.userId, role: 'viewer' });
    expect((await call(t, viewer.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(404);
    const [last] = (await auditRows(t, org.id)).slice(-1);
    expect(last).toMatchObject({ action: 'member.removed', actor_id: viewer.userId, data: { left: true } });
  });

  it('never removes or demotes the owner of a personal org', async () => {
    const alice = await t.signUp();
    const bob = await addMember(t, alice.token, alice.personalOrgId, 'owner');
    const removed = await call(t, bob.token, 'DELETE', membersUrl(alice.personalOrgId, alice.userId));
    expect(removed.statusCode).toBe(409);
    expect(removed.json().error.message).toContain('personal org');
    expect(removed.json().error.hint).toContain('latch org create');
    const demoted = await call(t, bob.token, 'PATCH', membersUrl(alice.personalOrgId, alice.userId), {
      role: 'admin',
    });
    expect(demoted.statusCode).toBe(409);
    expect((await call(t, alice.token, 'POST', `/api/v1/orgs/${alice.personalOrgId}/leave`)).statusCode).toBe(
      409,
    );
    expect((await call(t, bob.token, 'POST', `/api/v1/orgs/${alice.personalOrgId}/leave`)).statusCode).toBe(
      200,
    );
  });

  it("answers 404 for another org's member, like a missing one", async () => {
    const alice = await t.signUp();
    const aliceOrg = await createOrg(t, alice);
    const mallory = await t.signUp();
    const malloryOrg = await createOrg(t, mallory);
    const dev = await addMember(t, alice.token, aliceOrg.id, 'developer');

    for (const ref of [dev.userId, dev.email, 'usr_missing', 'nobody@example.com']) {
      const patch = await call(t, mallory.token, 'PATCH', membersUrl(malloryOrg.id, ref), { role: 'viewer' });
      const del = await call(t, mallory.token, 'DELETE', membersUrl(malloryOrg.id, ref));
      expect([patch.statusCode, del.statusCode], ref).toEqual([404, 404]);
      expect(del.json().error.hint).toContain('latch team members');
    }
    expect((await call(t, mallory.token, 'DELETE', membersUrl(aliceOrg.id, dev.userId))).statusCode).toBe(
      404,
    );
    expect((await call(t, dev.token, 'GET', `/api/v1/orgs/${aliceOrg.id}`)).statusCode).toBe(200);
  });
});
