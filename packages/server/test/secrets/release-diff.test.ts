import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { call, envsUrl, exampleManifest, secretsSetup } from './fixtures.js';

const t = useTestApp();

describe('deploy preview, empty deploys, release diffs (issue 15)', () => {
  it('previews secrets and manifest changes against the live release, changing nothing', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['staging']);
    const env = `${envsUrl(s.org.id, 'acme')}/staging`;
    await s.set('A', '1');
    await s.set('B', '1');
    const first = await call(t, owner.token, 'POST', `${env}/deploy/preview`, {
      manifest: exampleManifest(),
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ live: null, next: 1, environment: { exists: true } });
    expect(first.json().diff.scopes.added).toEqual(['read', 'writer']);
    await s.deploy('staging', { manifest: exampleManifest() });

    await s.set('B', '2');
    await s.set('C', '1');
    await call(t, owner.token, 'DELETE', `${s.url('staging')}/A`);
    const changed = exampleManifest();
    changed.routes[0]!.rateLimit = '10/minute';
    (changed.apiKeys.scopes as Record<string, unknown>).admin = { grants: { Task: ['delete'] } };
    const seen = (await call(t, owner.token, 'POST', `${env}/deploy/preview`, { manifest: changed })).json();
    expect(seen).toMatchObject({ live: { number: 1, rollbackOf: null }, next: 2, undoesRollback: null });
    expect(seen.diff.secrets).toEqual({
      added: [{ name: 'C', version: 1 }],
      changed: [{ name: 'B', from: 1, to: 2 }],
      removed: [{ name: 'A', version: 1 }],
    });
    expect(seen.diff.scopes).toEqual({ added: ['admin'], removed: [], changed: [] });
    expect(seen.diff.routes.changed[0]).toMatchObject({
      changes: [{ field: 'rateLimit', from: '1000/minute', to: '10/minute' }],
    });
    expect(JSON.stringify(seen)).not.toMatch(/"value"/);
    // Nothing was made by the preview.
    const list = (await call(t, owner.token, 'GET', `${envsUrl(s.org.id, 'acme')}/../releases`)).json();
    expect(list.items).toHaveLength(1);

    const v2 = await s.deploy('staging', { manifest: changed, allowEmpty: false });
    expect(v2.diff.secrets.changed).toEqual([{ name: 'B', from: 1, to: 2 }]);
    const empty = await call(t, owner.token, 'POST', `${env}/deploy`, {
      manifest: changed,
      allowEmpty: false,
    });
    expect(empty.statusCode).toBe(409);
    expect(empty.json().error.message).toContain('Nothing to deploy');
    expect((await s.deploy('staging', { allowEmpty: true })).number).toBe(3);

    const compared = await call(t, owner.token, 'GET', `${env}/releases/diff?from=v1&to=v2`);
    expect(compared.statusCode, compared.body).toBe(200);
    expect(compared.json()).toMatchObject({ from: 1, to: 2, diff: { empty: false } });
    expect(compared.json().diff.secrets.removed).toEqual([{ name: 'A', version: 1 }]);
    expect((await call(t, owner.token, 'GET', `${env}/releases/diff?from=v2&to=v3`)).json().diff.empty).toBe(
      true,
    );
    expect((await call(t, owner.token, 'GET', `${env}/releases/diff?from=v1&to=v9`)).statusCode).toBe(404);
    expect((await call(t, owner.token, 'GET', `${env}/releases/diff?from=x&to=v1`)).statusCode).toBe(400);
  });

  it('a rollback restores the working set, so a routine deploy does not undo it (the trap)', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    const env = `${envsUrl(s.org.id, 'acme')}/production`;
    await s.set('API_KEY', 'good');
    await s.deploy('production');
    await s.set('API_KEY', 'bad');
    await s.set('NEW_ONE', 'x');
    await s.deploy('production');
    const rolled = await call(t, owner.token, 'POST', `${env}/releases/v1/rollback`, {});
    expect(rolled.statusCode, rolled.body).toBe(201);
    expect(rolled.json()).toMatchObject({ number: 3, rollbackOf: 1, restored: ['API_KEY', 'NEW_ONE'] });
    const listed = (await call(t, owner.token, 'GET', s.base)).json();
    expect(listed.release).toMatchObject({ number: 3, rollbackOf: 1 });
    expect(listed.items.map((i: { name: string; status: string }) => i.status)).toEqual(['live']);
    const preview = (await call(t, owner.token, 'POST', `${env}/deploy/preview`, {})).json();
    expect(preview.diff.empty).toBe(true);
    const again = await call(t, owner.token, 'POST', `${env}/deploy`, { allowEmpty: false });
    expect(again.statusCode).toBe(409);
    expect((await s.released('production')).json().values).toEqual({ API_KEY: 'good' });
  });

  it('--release-only keeps the working set; the preview says deploying undoes the rollback', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    const env = `${envsUrl(s.org.id, 'acme')}/production`;
    await s.set('API_KEY', 'good');
    await s.deploy('production');
    await s.set('API_KEY', 'bad');
    await s.deploy('production');
    t.clock.advance(1000);
    const rolled = await call(t, owner.token, 'POST', `${env}/releases/v1/rollback`, { releaseOnly: true });
    expect(rolled.json()).toMatchObject({ number: 3, restored: [] });
    expect((await s.released('production')).json().values).toEqual({ API_KEY: 'good' });
    const preview = (await call(t, owner.token, 'POST', `${env}/deploy/preview`, {})).json();
    expect(preview).toMatchObject({ undoesRollback: 1, undoing: ['API_KEY'] });
    // A new change made after the rollback is not "undoing" it.
    t.clock.advance(1000);
    await s.set('OTHER', 'y');
    expect((await call(t, owner.token, 'POST', `${env}/deploy/preview`, {})).json().undoing).toEqual([
      'API_KEY',
    ]);
  });

  it('the preview reports what the deploy would refuse, in its words, and still shows the diff', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    const env = `${envsUrl(s.org.id, 'acme')}/production`;
    const withHook = exampleManifest();
    withHook.routes[2]!.routes = {
      'POST /github': {
        handler: 'githubWebhook',
        verify: { scheme: 'github', secret: { $secret: 'GITHUB_WEBHOOK_SECRET' } },
      },
    } as never;
    await s.set('PLAIN', 'p');

    const preview = await call(t, owner.token, 'POST', `${env}/deploy/preview`, { manifest: withHook });
    expect(preview.statusCode, preview.body).toBe(200);
    const deploy = await call(t, owner.token, 'POST', `${env}/deploy`, { manifest: withHook });
    expect(deploy.statusCode).toBe(400);
    const refused = deploy.json().error;
    // Same code, message and hint as the deploy's own refusal.
    expect(preview.json().refusals).toEqual([
      { code: refused.code, message: refused.message, hint: refused.hint },
    ]);
    expect(refused.message).toContain('production does not have: GITHUB_WEBHOOK_SECRET');
    expect(preview.json().diff.secrets.added).toEqual([{ name: 'PLAIN', version: 1 }]);

    // Set: nothing to refuse. The manifest in force (no body) is checked too.
    await s.set('GITHUB_WEBHOOK_SECRET', 'whsec');
    expect(
      (await call(t, owner.token, 'POST', `${env}/deploy/preview`, { manifest: withHook })).json().refusals,
    ).toEqual([]);
    await s.deploy('production', { manifest: withHook });
    await call(t, owner.token, 'DELETE', `${s.url('production')}/GITHUB_WEBHOOK_SECRET`);
    const inForce = (await call(t, owner.token, 'POST', `${env}/deploy/preview`, {})).json();
    expect(inForce.refusals.map((r: { code: string }) => r.code)).toEqual(['INVALID_INPUT']);
  });

  it('the preview reports a reference the deploy could not resolve (names only)', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    const env = `${envsUrl(s.org.id, 'acme')}/production`;
    await s.set('HOST', 'api.example.com');
    expect((await s.set('URL', 'https://$' + '{HOST}/v1')).statusCode).toBe(200);
    await call(t, owner.token, 'DELETE', `${s.url('production')}/HOST`);
    const preview = (await call(t, owner.token, 'POST', `${env}/deploy/preview`, {})).json();
    const deploy = (await call(t, owner.token, 'POST', `${env}/deploy`, {})).json();
    expect(deploy.error.code).toBe('REFERENCE_MISSING');
    expect(preview.refusals).toEqual([
      { code: 'REFERENCE_MISSING', message: deploy.error.message, hint: deploy.error.hint },
    ]);
    expect(JSON.stringify(preview)).not.toContain('api.example.com');
  });
});
