import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedUp } from '../helpers/app.js';
import { useTestApp } from '../helpers/app.js';
import { type CiIssuer, githubClaims, startCiIssuer } from '../helpers/ci-issuer.js';
import { addMember, auditRows, call, createOrg } from '../members/fixtures.js';

const t = useTestApp();
let ci: CiIssuer;
let owner: SignedUp;
let org: { id: string; name: string };

beforeAll(async () => {
  ci = await startCiIssuer();
  owner = await t.signUp();
  org = await createOrg(t, owner);
});
afterAll(async () => {
  await ci?.close();
});

const policyBody = (over: Record<string, unknown> = {}) => ({
  issuer: ci.issuer,
  audience: 'latchkey',
  claims: [
    { claim: 'repository', value: 'acme/api' },
    { claim: 'ref', value: 'refs/heads/main' },
  ],
  scopes: ['deploy:write', 'platform_keys:read'],
  ...over,
});
const create = (body: unknown, token = owner.token, orgId = org.id) =>
  call(t, token, 'POST', `/api/v1/orgs/${orgId}/trust-policies`, body);
const policyCount = async () =>
  Number((await t.database.db.execute(sql`SELECT count(*)::int AS n FROM trust_policies`)).rows[0]!.n);

describe('creating trust policies', () => {
  it('stores a policy with a 15-minute default ttl and audits it in the same transaction', async () => {
    const res = await create(policyBody({ name: 'api deploys' }));
    expect(res.statusCode, res.body).toBe(201);
    const policy = res.json();
    expect(policy).toMatchObject({
      name: 'api deploys',
      issuer: ci.issuer,
      audience: 'latchkey',
      ttlSeconds: 900,
      createdBy: owner.email,
      scopes: ['deploy:write', 'platform_keys:read'],
      lastUsedAt: null,
    });
    const list = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/trust-policies`);
    expect(list.json().items.map((p: { id: string }) => p.id)).toContain(policy.id);
    const audit = (await auditRows(t, org.id)).filter((r) => r.action === 'trust_policy.created');
    expect(audit.at(-1)).toMatchObject({ target_id: policy.id });
  });

  it('names the policy after its subject condition by default; ttl 1h is the most', async () => {
    const res = await create(policyBody({ ttl: '1h' }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: 'repository=acme/api', ttlSeconds: 3600 });
  });

  it('refuses a policy without a subject-like condition, explaining why', async () => {
    const before = await policyCount();
    for (const claims of [
      [{ claim: 'ref', value: 'refs/heads/main' }],
      [{ claim: 'sub', value: 'repo:*', glob: true }],
      [{ claim: 'repository', value: '*-api', glob: true }],
    ]) {
      const res = await create(policyBody({ claims }));
      expect(res.statusCode, JSON.stringify(claims)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(res.json().error.message).toContain('trust every workload');
      expect(res.json().error.hint).toContain('repository');
    }
    // An owner-naming glob is a subject condition.
    const ok = await create(policyBody({ claims: [{ claim: 'sub', value: 'repo:acme/*', glob: true }] }));
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await policyCount()).toBe(before + 1);
  });

  it('answers every malformed issuer, claim rule, scope and ttl with 400, a code, a hint, and no change', async () => {
    const before = await policyCount();
    const auditBefore = (await auditRows(t, org.id)).length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ issuer: 'not a url' }, 'issuer'],
      [{ issuer: 'http://ci.example.com' }, 'issuer'],
      [{ issuer: 'ftp://ci.example.com' }, 'issuer'],
      [{ issuer: 'https://user:pw@ci.example.com' }, 'issuer'],
      [{ issuer: 'https://ci.example.com/?x=1' }, 'issuer'],
      [{ issuer: 'https://ci.example.com/#f' }, 'issuer'],
      [{ audience: '' }, 'audience'],
      [{ audience: 'two words' }, 'audience'],
      [{ claims: [] }, 'claims'],
      [{ claims: [{ claim: 'repo sitory', value: 'acme/api' }] }, 'claims[0]'],
      [{ claims: [{ claim: '', value: 'acme/api' }] }, 'claims[0]'],
      [{ claims: [{ claim: 'repository', value: '' }] }, 'claims[0]'],
      [{ claims: [{ claim: 'repository', value: ' acme/api' }] }, 'claims[0]'],
      [{ claims: [{ claim: 'repository', value: 'acme\napi' }] }, 'claims[0]'],
      [
        {
          claims: [
            { claim: 'iss', value: 'x' },
            { claim: 'repository', value: 'a/b' },
          ],
        },
        'claims[0]',
      ],
      [
        {
          claims: [
            { claim: 'aud', value: 'x' },
            { claim: 'repository', value: 'a/b' },
          ],
        },
        'claims[0]',
      ],
      [
        {
          claims: [
            { claim: 'exp', value: '1' },
            { claim: 'repository', value: 'a/b' },
          ],
        },
        'claims[0]',
      ],
      [
        {
          claims: [
            { claim: 'repository', value: 'a/b' },
            { claim: 'repository', value: 'a/c' },
          ],
        },
        'claims[1]',
      ],
      [{ claims: [{ claim: 'repository', value: 'acme/api', glob: true }] }, 'claims[0]'],
      [{ claims: [{ claim: 'repository', value: '**', glob: true }] }, 'claims[0]'],
      [{ claims: [{ claim: 'repository', value: 'a/b', extra: 1 }] }, 'claims'],
      [{ scopes: ['deploy:fly'] }, 'scopes'],
      [{ scopes: [] }, 'scopes'],
      [{ ttl: '2h' }, 'ttl'],
      [{ ttl: '1m' }, 'ttl'],
      [{ ttl: 'soon' }, 'ttl'],
      [{ ttl: 7200 }, 'ttl'],
    ];
    for (const [over, field] of cases) {
      const res = await create(policyBody(over));
      expect(res.statusCode, `${JSON.stringify(over)}: ${res.body}`).toBe(400);
      const error = res.json().error;
      expect(error.code).toMatch(/INVALID_INPUT/);
      expect(error.hint, JSON.stringify(over)).toBeTruthy();
      expect(JSON.stringify(error.details ?? {}), JSON.stringify(over)).toContain(field.split('[')[0]);
    }
    expect(await policyCount()).toBe(before);
    expect((await auditRows(t, org.id)).length).toBe(auditBefore);
  });

  it('never grants more than its creator holds', async () => {
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const over = await create(policyBody({ scopes: ['members:manage'] }), dev.token);
    expect(over.statusCode).toBe(403);
    expect(over.json().error.message).toContain('members:manage');
    // Within the developer's role it works.
    const ok = await create(policyBody({ scopes: ['deploy:write'] }), dev.token);
    expect(ok.statusCode, ok.body).toBe(201);
    // A viewer cannot make policies at all (platform_keys:write).
    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const refused = await create(policyBody({ scopes: ['projects:read'] }), viewer.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('platform_keys:write');
    // A platform key cannot make one either.
    const key = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'k',
      scopes: ['platform_keys:write', 'deploy:write'],
    });
    const byKey = await create(policyBody({ scopes: ['deploy:write'] }), key.json().token);
    expect(byKey.statusCode).toBe(403);
  });

  it("deletes own policies; someone else's needs platform_keys:manage; another org's is 404", async () => {
    const policy = (await create(policyBody({ name: 'to delete' }))).json();
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const denied = await call(t, dev.token, 'DELETE', `/api/v1/orgs/${org.id}/trust-policies/${policy.id}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('platform_keys:manage');
    const stranger = await t.signUp();
    const otherOrg = await createOrg(t, stranger);
    const hidden = await call(
      t,
      stranger.token,
      'DELETE',
      `/api/v1/orgs/${otherOrg.id}/trust-policies/${policy.id}`,
    );
    expect(hidden.statusCode).toBe(404);
    const gone = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/trust-policies/${policy.id}`);
    expect(gone.statusCode, gone.body).toBe(200);
    const again = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/trust-policies/${policy.id}`);
    expect(again.statusCode).toBe(404);
    const audit = (await auditRows(t, org.id)).filter((r) => r.action === 'trust_policy.deleted');
    expect(audit.at(-1)).toMatchObject({ target_id: policy.id });
  });
});

describe('testing a token against the policies', () => {
  it('shows, claim by claim, which policy matched and why the others did not', async () => {
    const o = await t.signUp();
    const o2 = await createOrg(t, o);
    const main = (await create(policyBody({ name: 'main' }), o.token, o2.id)).json();
    const release = (
      await create(
        policyBody({
          name: 'release',
          claims: [
            { claim: 'repository', value: 'acme/api' },
            { claim: 'ref', value: 'refs/heads/release/*', glob: true },
          ],
        }),
        o.token,
        o2.id,
      )
    ).json();
    const test = (token: string) =>
      call(t, o.token, 'POST', `/api/v1/orgs/${o2.id}/trust-policies/test`, { token });

    const onMain = await test(await ci.mint());
    expect(onMain.statusCode, onMain.body).toBe(200);
    const body = onMain.json();
    expect(body.signature.status).toBe('valid');
    expect(body.matched).toEqual({ id: main.id, name: 'main' });
    const rel = body.policies.find((p: { id: string }) => p.id === release.id);
    expect(rel).toMatchObject({ matched: false });
    expect(rel.reason).toContain('refs/heads/main');
    expect(rel.checks).toContainEqual({
      claim: 'ref',
      expected: 'refs/heads/release/*',
      actual: 'refs/heads/main',
      glob: true,
      ok: false,
    });

    const onRelease = (await test(await ci.mint(githubClaims('acme/api', 'refs/heads/release/v2')))).json();
    expect(onRelease.matched).toEqual({ id: release.id, name: 'release' });
    // `*` stays within one segment.
    const nested = (await test(await ci.mint(githubClaims('acme/api', 'refs/heads/release/v2/x')))).json();
    expect(nested.matched).toBeNull();

    const expired = (await test(await ci.mint(githubClaims(), { expiresIn: -120 }))).json();
    expect(expired.signature.status).toBe('expired');
    expect(expired.matched).toBeNull();

    const untrusted = (
      await test(await ci.mint({ ...githubClaims(), iss: 'https://elsewhere.example' }))
    ).json();
    expect(untrusted.signature.status).toBe('not_checked');
    expect(untrusted.policies[0].checks[0]).toMatchObject({ claim: 'iss', ok: false });

    const junk = await test('not-a-jwt');
    expect(junk.statusCode).toBe(400);
    expect(junk.json().error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(junk.json().error.hint).toBeTruthy();
    // Nothing was issued by testing.
    const issued = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM tokens WHERE trust_policy_id IN (${main.id}, ${release.id})`,
    );
    expect(issued.rows[0]!.n).toBe(0);
  });
});
