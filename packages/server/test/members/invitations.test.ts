import { DAY } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, createOrg } from './fixtures.js';

const t = useTestApp();

describe('invitations', () => {
  it('invite → the invitee lists it → accepts → is a member with that role and can read the org', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const bob = await t.signUp(`Bob.Mixed-${Date.now()}@Example.com`);

    const invited = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: bob.email.toUpperCase(),
      role: 'developer',
    });
    expect(invited.statusCode).toBe(201);
    // The created answer adds how the link travels (here: no mail server, so the link, once).
    const { delivery, link, ...invitation } = invited.json();
    expect({ delivery, link }).toEqual({
      delivery: 'link',
      link: expect.stringMatching(/\/invite\/lk_inv_/),
    });
    expect(invitation).toMatchObject({
      org: { id: org.id, name: org.name },
      email: bob.email.toLowerCase(),
      role: 'developer',
      status: 'pending',
      invitedBy: owner.email,
    });
    expect(new Date(invitation.expiresAt).getTime() - t.clock.now().getTime()).toBe(7 * DAY);

    const pending = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations`);
    expect(pending.json().items.map((i: { id: string }) => i.id)).toEqual([invitation.id]);

    const mine = await call(t, bob.token, 'GET', '/api/v1/invitations');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({ items: [invitation], nextCursor: null });

    // Before accepting, the org is invisible to bob, exactly like a missing one.
    expect((await call(t, bob.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(404);

    const accepted = await call(t, bob.token, 'POST', `/api/v1/invitations/${invitation.id}/accept`);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({
      invitation: { id: invitation.id, status: 'accepted' },
      org: { id: org.id, name: org.name, role: 'developer', personal: false },
    });

    const members = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/members`);
    expect(members.json().items).toContainEqual(
      expect.objectContaining({ userId: bob.userId, email: bob.email, role: 'developer' }),
    );
    const read = await call(t, bob.token, 'GET', `/api/v1/orgs/${org.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().role).toBe('developer');

    expect((await call(t, bob.token, 'GET', '/api/v1/invitations')).json().items).toEqual([]);
    expect((await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations`)).json().items).toEqual(
      [],
    );

    const audit = await auditRows(t, org.id);
    expect(audit.map((a) => [a.action, a.actor_id])).toEqual([
      ['org.created', owner.userId],
      ['invitation.created', owner.userId],
      ['invitation.accepted', bob.userId],
    ]);
    expect(audit[1]).toMatchObject({
      target_type: 'invitation',
      target_id: invitation.id,
      data: { email: bob.email.toLowerCase(), role: 'developer' },
    });
    const text = JSON.stringify(audit);
    for (const token of [owner.token, bob.token]) expect(text).not.toContain(token);
    expect(text).not.toContain('lk_pat_');
  });

  it('refuses bad input with 400 INVALID_INPUT and creates nothing', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const bodies = [
      { email: 'not-an-email', role: 'developer' },
      { email: 'x@example.com', role: 'superuser' },
      { email: 'x@example.com', role: 'developer', admin: true },
      { role: 'developer' },
      { email: `${'x'.repeat(250)}@example.com` },
    ];
    for (const body of bodies) {
      const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.hint).toBeTruthy();
    }
    const bad = await call(t, owner.token, 'POST', '/api/v1/invitations/not%20an%20id/accept');
    expect(bad.statusCode).toBe(400);
    const rows = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM invitations WHERE org_id = ${org.id}`,
    );
    expect(rows.rows[0]).toEqual({ n: 0 });
  });

  it('defaults the role to developer', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: 'd@example.com',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().role).toBe('developer');
  });

  it('answers 409 for a member or an email that is already invited, in any case', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const dev = await addMember(t, owner.token, org.id, 'developer');

    const member = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: dev.email.toUpperCase(),
      role: 'viewer',
    });
    expect(member.statusCode).toBe(409);
    expect(member.json().error.message).toBe(`${dev.email} is already a member of ${org.name} (developer).`);
    expect(member.json().error.hint).toBeTruthy();

    const first = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: 'twice@example.com',
    });
    expect(first.statusCode).toBe(201);
    const again = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: 'TWICE@example.com',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('already invited');
    expect(again.json().error.hint).toContain(first.json().id);
  });

  it('enforces who may invite which role', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    let n = 0;
    const invite = (token: string, role: string) =>
      call(t, token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
        email: `${role}-${++n}@example.com`,
        role,
      });

    // Developers hold members:read only, so they cannot invite at all.
    const byDev = await invite(dev.token, 'admin');
    expect(byDev.statusCode).toBe(403);
    expect(byDev.json().error).toMatchObject({
      code: 'PERMISSION_DENIED',
      details: { required: 'members:write' },
    });

    // A credential with members:write but not members:manage may invite developers, not admins.
    const scoped = await t.app.services.tokens.createPat(owner.actor, {
      name: 'invites',
      scopes: ['members:write'],
    });
    expect((await invite(scoped.token, 'developer')).statusCode).toBe(201);
    const scopedAdmin = await invite(scoped.token, 'admin');
    expect(scopedAdmin.statusCode).toBe(403);
    expect(scopedAdmin.json().error.message).toContain('members:manage');
    expect(scopedAdmin.json().error.message).toContain('Inviting an admin');
    // Even an owner's token cannot mint an owner without members:manage.
    expect((await invite(scoped.token, 'owner')).statusCode).toBe(403);

    expect((await invite(admin.token, 'admin')).statusCode).toBe(201);
    const adminOwner = await invite(admin.token, 'owner');
    expect(adminOwner.statusCode).toBe(403);
    expect(adminOwner.json().error.message).toContain('Only an owner');
    expect((await invite(owner.token, 'owner')).statusCode).toBe(201);
  });

  it("answers 404 for another org's invitation id, like a missing one", async () => {
    const alice = await t.signUp();
    const aliceOrg = await createOrg(t, alice);
    const mallory = await t.signUp();
    const malloryOrg = await createOrg(t, mallory);
    const inv = await call(t, alice.token, 'POST', `/api/v1/orgs/${aliceOrg.id}/invitations`, {
      email: 'v@example.com',
    });

    const foreign = await call(
      t,
      mallory.token,
      'DELETE',
      `/api/v1/orgs/${malloryOrg.id}/invitations/${inv.json().id}`,
    );
    const missing = await call(
      t,
      mallory.token,
      'DELETE',
      `/api/v1/orgs/${malloryOrg.id}/invitations/inv_missing`,
    );
    expect(foreign.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe(missing.json().error.code);
    const inAlices = await call(
      t,
      mallory.token,
      'DELETE',
      `/api/v1/orgs/${aliceOrg.id}/invitations/${inv.json().id}`,
    );
    expect(inAlices.statusCode).toBe(404);
    expect(
      (await call(t, alice.token, 'GET', `/api/v1/orgs/${aliceOrg.id}/invitations`)).json().items,
    ).toHaveLength(1);
  });

  it("cannot accept or decline someone else's invitation (404), and theirs still works", async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const bob = await t.signUp();
    const carol = await t.signUp();
    const inv = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: bob.email,
    });

    for (const verb of ['accept', 'decline']) {
      const res = await call(t, carol.token, 'POST', `/api/v1/invitations/${inv.json().id}/${verb}`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
      expect(res.json().error.hint).toContain('latch invites list');
    }
    expect((await call(t, carol.token, 'GET', '/api/v1/invitations')).json().items).toEqual([]);
    expect((await call(t, carol.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(404);
    expect((await call(t, bob.token, 'POST', `/api/v1/invitations/${inv.json().id}/accept`)).statusCode).toBe(
      200,
    );
  });

  it('declines and revokes, each once, with an audit row', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const bob = await t.signUp();
    const carol = await t.signUp();
    const forBob = (
      await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, { email: bob.email })
    ).json();
    const forCarol = (
      await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
        email: carol.email,
        role: 'viewer',
      })
    ).json();

    const declined = await call(t, bob.token, 'POST', `/api/v1/invitations/${forBob.id}/decline`);
    expect(declined.statusCode).toBe(200);
    expect(declined.json().status).toBe('declined');
    const late = await call(t, bob.token, 'POST', `/api/v1/invitations/${forBob.id}/accept`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain('already declined');

    const revoked = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/invitations/${forCarol.id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: forCarol.id, status: 'revoked' });
    expect((await call(t, carol.token, 'GET', '/api/v1/invitations')).json().items).toEqual([]);
    expect((await call(t, carol.token, 'POST', `/api/v1/invitations/${forCarol.id}/accept`)).statusCode).toBe(
      409,
    );
    expect(
      (await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/invitations/${forCarol.id}`)).statusCode,
    ).toBe(409);

    const audit = await auditRows(t, org.id);
    expect(audit.slice(-2).map((a) => [a.action, a.actor_id, a.target_id, a.data.email])).toEqual([
      ['invitation.declined', bob.userId, forBob.id, bob.email.toLowerCase()],
      ['invitation.revoked', owner.userId, forCarol.id, carol.email.toLowerCase()],
    ]);
  });

  it('pages the org list of pending invitations', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    for (const n of [1, 2, 3]) {
      t.clock.advance(1000);
      await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
        email: `p${n}@example.com`,
      });
    }
    const first = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations?limit=2`);
    expect(first.json().items.map((i: { email: string }) => i.email)).toEqual([
      'p3@example.com',
      'p2@example.com',
    ]);
    const next = await call(
      t,
      owner.token,
      'GET',
      `/api/v1/orgs/${org.id}/invitations?limit=2&cursor=${first.json().nextCursor}`,
    );
    expect(next.json()).toMatchObject({ items: [{ email: 'p1@example.com' }], nextCursor: null });
    expect((await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations?limit=0`)).statusCode).toBe(
      400,
    );
  });

  // Last in the file: it moves the shared clock 8 days forward.
  it('refuses an expired invitation and lets the org invite again', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const bob = await t.signUp();
    const old = (
      await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, { email: bob.email })
    ).json();

    t.clock.advance(8 * DAY);
    expect((await call(t, bob.token, 'GET', '/api/v1/invitations')).json().items).toEqual([]);
    const late = await call(t, bob.token, 'POST', `/api/v1/invitations/${old.id}/accept`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain('expired');
    expect(late.json().error.hint).toContain('invite you again');
    expect((await call(t, bob.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(404);

    const listed = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations`);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: old.id, status: 'expired' })]);

    const fresh = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: bob.email,
    });
    expect(fresh.statusCode).toBe(201);
    expect(
      (await call(t, bob.token, 'POST', `/api/v1/invitations/${fresh.json().id}/accept`)).statusCode,
    ).toBe(200);
    const actions = (await auditRows(t, org.id)).map((a) => a.action);
    expect(actions).toEqual([
      'org.created',
      'invitation.created',
      'invitation.revoked',
      'invitation.created',
      'invitation.accepted',
    ]);
  });
});
