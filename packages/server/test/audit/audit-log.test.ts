import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/services/actor.js';
import { toNdjson } from '../../src/services/audit/audit-log.service.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

async function owner(opts: { scopes?: string[] } = {}) {
  const who = await t.signUp(undefined, opts);
  const actor: Actor = {
    ...who.actor,
    org: await t.app.services.orgs.resolve(who.actor.principal, who.personalOrgId),
  };
  return { ...who, actor };
}

/** A few real changes in the owner's org, through the services that record them. */
let changes = 0;
async function someChanges(actor: Actor) {
  // Key prefixes are unique on the server: one set per call.
  changes++;
  for (const name of ['alpha', 'beta', 'gamma']) {
    await t.app.services.projects.create(actor, { name, keyPrefix: `${name}${changes}_` });
  }
}

describe('listing the audit log', () => {
  it('pages newest first and records the read itself, after the page', async () => {
    const { actor, personalOrgId: org } = await owner();
    await someChanges(actor);
    const first = await t.app.services.audit.list(actor, org, { limit: 2 });
    expect(first.items.map((e) => e.action)).toEqual(['project.created', 'project.created']);
    expect(first.items.map((e) => e.target?.id)).not.toContain(undefined);
    expect(first.items[0]!.seq).toBeGreaterThan(first.items[1]!.seq!);
    expect(first.nextCursor).not.toBeNull();
    const second = await t.app.services.audit.list(actor, org, { limit: 50, cursor: first.nextCursor! });
    // The first page's read is newer than everything on page two, so it is not there…
    expect(second.items.map((e) => e.action)).not.toContain('audit.listed');
    expect(second.items[0]!.seq).toBe(first.items[1]!.seq! - 1);
    // …but a fresh first page shows both reads.
    const again = await t.app.services.audit.list(actor, org, { limit: 2 });
    expect(again.items.map((e) => e.action)).toEqual(['audit.listed', 'audit.listed']);
    expect(again.items[0]!.actor).toMatchObject({
      type: 'user',
      id: actor.principal.kind === 'user' && actor.principal.userId,
    });
  });

  it('filters by action prefix, actor, target and time', async () => {
    const { actor, personalOrgId: org, email } = await owner();
    await someChanges(actor);
    const projects = await t.app.services.audit.list(actor, org, { action: 'project.*' });
    expect(projects.items).toHaveLength(3);
    const byActor = await t.app.services.audit.list(actor, org, { actor: email, action: 'project.created' });
    expect(byActor.items).toHaveLength(3);
    expect((await t.app.services.audit.list(actor, org, { actor: 'nobody@example.com' })).items).toHaveLength(
      0,
    );
    const target = projects.items[0]!.target!;
    const byTarget = await t.app.services.audit.list(actor, org, { target: `${target.type}:${target.id}` });
    expect(byTarget.items.map((e) => e.target)).toEqual([target]);
    expect((await t.app.services.audit.list(actor, org, { target: target.id! })).items).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000);
    expect((await t.app.services.audit.list(actor, org, { since: future })).items).toHaveLength(0);
  });

  it('needs audit:read, checked before anything is read or written', async () => {
    const { actor, personalOrgId: org } = await owner({ scopes: ['projects:write'] });
    await expect(t.app.services.audit.list(actor, org)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(t.app.services.audit.verify(actor, org)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    await expect(t.app.services.audit.export(actor, org)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    await expect(t.app.services.audit.checkpoint(actor, org)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    // The refused calls left nothing behind.
    const left = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM audit_events WHERE org_id = ${org} AND action LIKE 'audit.%'`,
    );
    expect(left.rows[0]).toEqual({ n: 0 });
  });

  it("answers another org's log as not found", async () => {
    const a = await owner();
    const b = await owner();
    await expect(t.app.services.audit.list(a.actor, b.personalOrgId)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(t.app.services.audit.verify(a.actor, b.personalOrgId)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('refuses a cursor it did not make', async () => {
    const { actor, personalOrgId: org } = await owner();
    await expect(t.app.services.audit.list(actor, org, { cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('exporting, verifying and checkpointing through the service', () => {
  it('exports oldest first as ndjson, and records the export', async () => {
    const { actor, personalOrgId: org } = await owner();
    await someChanges(actor);
    const lines: string[] = [];
    for await (const line of toNdjson(
      await t.app.services.audit.export(actor, org, { action: 'project.' }),
    )) {
      lines.push(line);
    }
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.target.id)).toHaveLength(3);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y));
    expect(events[0]).toMatchObject({
      action: 'project.created',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const page = await t.app.services.audit.list(actor, org, { action: 'audit.exported' });
    expect(page.items[0]!.data).toEqual({ action: 'project.' });
  });

  it('verifies with a checkpoint it handed out, and records both', async () => {
    const { actor, personalOrgId: org } = await owner();
    await someChanges(actor);
    const cp = await t.app.services.audit.checkpoint(actor, org);
    expect(cp).toMatchObject({
      type: 'latchkey.audit.checkpoint',
      org,
      keyId: t.app.services.audit.signer.keyId,
    });
    const result = await t.app.services.audit.verify(actor, org, {
      fromCheckpoint: JSON.parse(JSON.stringify(cp)),
    });
    expect(result).toMatchObject({ ok: true, checkpoint: { seq: cp.seq, matched: true } });
    const page = await t.app.services.audit.list(actor, org, { action: 'audit.' });
    expect(page.items.map((e) => e.action)).toEqual(['audit.verified', 'audit.checkpointed']);
    expect(page.items[0]!.data).toMatchObject({ ok: true, checkpointSeq: cp.seq });
  });
});

describe('periodic checkpoints', () => {
  it('sign a chain once enough rows or enough (injected-clock) time has passed, and only then', async () => {
    const { actor, personalOrgId: org } = await owner();
    const audit = t.app.services.audit.internal;
    // The default policy: every 1000 rows or 60 minutes.
    const signedNow = await audit.tick();
    expect(signedNow).not.toContain(org);
    await someChanges(actor);
    expect(await audit.tick()).not.toContain(org);
    t.clock.advance(61 * 60_000);
    expect(await audit.tick()).toContain(org);
    const latest = await audit.latestCheckpoint(org);
    expect(latest).toMatchObject({ org, time: t.clock.now().toISOString() });
    // Nothing new since: no second checkpoint, however long it waits.
    t.clock.advance(120 * 60_000);
    expect(await audit.tick()).not.toContain(org);
    expect((await audit.latestCheckpoint(org))!.seq).toBe(latest!.seq);
  });
});
