import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { RouteInfo } from '../../src/http/security.js';
import type { SignedUp, TestApp } from '../helpers/app.js';

/**
 * One org with one of everything, made through the API, so that a request with valid input
 * reaches the services: a project with an environment (manifest pushed, a secret, a release), an
 * app API key, a platform key, a service account with a key, an invitation and a second member.
 */
/** What the seed needs of a route: its method and path. */
type RouteRef = Pick<RouteInfo, 'method' | 'url'>;

export type Seed = {
  owner: SignedUp;
  orgId: string;
  /** Every credential made while seeding: none of them may appear in an answer or a log line. */
  tokens: string[];
  secretValue: string;
  /** Values for each path parameter of `route`, naming the seeded resource of its kind. */
  params(route: RouteRef): Record<string, string>;
  /** A body the route accepts, or undefined for routes without a body. */
  body(route: RouteRef): Record<string, unknown> | undefined;
  /** Valid values for query parameters that a route requires. */
  requiredQuery: Record<string, string>;
};

export const SEED_MANIFEST = {
  project: 'sweep',
  apiKeys: {
    scopes: {
      read: { grants: { Task: ['read'] }, description: 'reads tasks' },
      writer: { grants: { Task: ['read', 'write'] } },
    },
  },
  routes: [],
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A JWT-shaped CI token (unsigned-looking: its signature part is junk) from an untrusted issuer. */
export const SEED_OIDC_TOKEN = `${b64({ alg: 'RS256', kid: 'k' })}.${b64({
  iss: 'https://ci.invalid',
  aud: 'latchkey',
  sub: 'repo:acme/sweep:ref:refs/heads/main',
  repository: 'acme/sweep',
  exp: 4_102_444_800,
})}.c2lnbmF0dXJl`;

export async function seed(t: TestApp): Promise<Seed> {
  const owner = await t.signUp();
  const member = await t.signUp();
  const orgId = owner.personalOrgId;
  const org = `/api/v1/orgs/${orgId}`;
  const project = `${org}/projects/sweep`;
  const env = `${project}/environments/production`;
  const secretValue = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;

  async function call(method: 'POST' | 'PUT', url: string, payload: object, token = owner.token) {
    const res = await t.app.inject({ method, url, headers: t.auth(token), payload });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.json();
  }

  const invitedMember = await call('POST', `${org}/invitations`, { email: member.email, role: 'viewer' });
  await call('POST', `/api/v1/invitations/${invitedMember.id}/accept`, {}, member.token);
  const invitation = await call('POST', `${org}/invitations`, { email: 'pending@example.com' });
  await call('POST', `${org}/projects`, { name: 'sweep', keyPrefix: 'sweep_' });
  await call('POST', `${project}/environments`, { name: 'production' });
  await call('POST', `${env}/manifest`, SEED_MANIFEST);
  await call('PUT', `${env}/secrets/API_TOKEN`, { value: secretValue });
  await call('PUT', `${env}/secrets/API_TOKEN`, { value: `${secretValue}-2` });
  await call('POST', `${env}/deploy`, { message: 'first' });
  const apiKey = await call('POST', `${project}/api-keys`, {
    name: 'sync',
    scope: 'read',
    environment: 'production',
  });
  const platformKey = await call('POST', `${org}/keys`, { name: 'ci', scopes: ['deploy:write'] });
  await call('POST', `${org}/service-accounts`, { name: 'robot', role: 'developer' });
  const saKey = await call('POST', `${org}/service-accounts/robot/keys`, {});
  const pat = await call('POST', '/api/v1/pats', { name: 'spare', expiresIn: '30d' });
  // Creating a policy fetches nothing from its issuer, so a public-looking one is fine here.
  const trustPolicy = await call('POST', `${org}/trust-policies`, {
    issuer: 'https://token.actions.githubusercontent.com',
    audience: 'latchkey',
    claims: [{ claim: 'repository', value: 'acme/sweep' }],
    scopes: ['deploy:write'],
  });
  // Deliveries go nowhere (port 9, discard): nothing in this test runs the worker anyway.
  const webhook = await call('POST', `${org}/webhooks`, {
    url: 'http://127.0.0.1:9/hook',
    events: ['api_key.created'],
  });
  const effect = await call('POST', `${project}/effects`, {
    url: 'http://127.0.0.1:9/fx',
    payload: { a: 1 },
  });
  // Only an SSO sign-in makes an identity link (no API does): the row a first sign-in leaves.
  const identityLinkId = 'idl_sweepseed';
  await t.database.db.execute(
    sql`INSERT INTO identity_links (id, user_id, issuer, subject, email, created_at)
        VALUES (${identityLinkId}, ${owner.userId}, 'https://id.example.com', 'sweep-sub', ${owner.email}, now())`,
  );

  // `:id` names a different kind of resource under each collection.
  function idFor(url: string): string {
    if (url.startsWith('/api/v1/pats')) return pat.id;
    if (url.startsWith('/api/v1/me/identities')) return identityLinkId;
    if (url.includes('/invitations')) return invitation.id;
    if (url.includes('/trust-policies')) return trustPolicy.id;
    if (url.includes('/service-accounts')) return 'robot';
    if (url.includes('/webhooks')) return webhook.id;
    if (url.includes('/effects')) return effect.id;
    if (url.includes('/api-keys')) return apiKey.id;
    if (url.includes('/keys')) return platformKey.id;
    throw new Error(`seed: no :id value for ${url}`);
  }

  const fixed: Record<string, string> = {
    org: orgId,
    project: 'sweep',
    env: 'production',
    name: 'API_TOKEN',
    release: 'v1',
    member: member.email,
    keyId: saKey.id,
  };

  function params(route: RouteRef): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [, name] of route.url.matchAll(/:([A-Za-z]+)/g)) {
      const value = name === 'id' ? idFor(route.url) : fixed[name!];
      if (value === undefined) throw new Error(`seed: no value for :${name} of ${route.url}`);
      out[name!] = value;
    }
    return out;
  }

  const bodies: Record<string, Record<string, unknown>> = {
    'POST /api/v1/orgs': { name: 'Sweep Org' },
    'POST /api/v1/pats': { name: 'another', expiresIn: '1h', scopes: ['projects:read'] },
    'PATCH /api/v1/orgs/:org/members/:member': { role: 'viewer' },
    'POST /api/v1/orgs/:org/invitations': { email: 'someone@example.com', role: 'viewer' },
    'POST /api/v1/orgs/:org/keys': { name: 'deployer', scopes: ['deploy:write'], expiresIn: '30d' },
    'POST /api/v1/orgs/:org/keys/:id/rotate': { gracePeriod: '1h' },
    'POST /api/v1/orgs/:org/service-accounts/:id/keys/:keyId/rotate': { gracePeriod: '1h' },
    'POST /api/v1/orgs/:org/service-accounts': { name: 'builder', role: 'viewer' },
    'POST /api/v1/orgs/:org/trust-policies': {
      issuer: 'https://gitlab.com',
      audience: 'latchkey',
      claims: [
        { claim: 'project_path', value: 'acme/sweep' },
        { claim: 'ref', value: 'release/*', glob: true },
      ],
      scopes: ['deploy:write'],
      ttl: '30m',
    },
    // An issuer no policy trusts: evaluated claim by claim, its keys never fetched.
    'POST /api/v1/orgs/:org/trust-policies/test': { token: SEED_OIDC_TOKEN },
    'POST /api/v1/orgs/:org/service-accounts/:id/keys': { name: 'builder key', expiresIn: 30 },
    'POST /api/v1/orgs/:org/projects': { name: 'other', keyPrefix: 'other_' },
    'POST /api/v1/orgs/:org/projects/:project/environments': { name: 'staging' },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/manifest': SEED_MANIFEST,
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/secrets/import': {
      content: 'FROM_FILE=one\nOTHER="two"\n',
      dryRun: false,
    },
    'PUT /api/v1/orgs/:org/projects/:project/environments/:env/secrets/:name': { value: 'new-value' },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/secrets/:name/rollback': { version: 1 },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/secrets/promote': {
      from: 'production',
      dryRun: true,
    },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/deploy/preview': { manifest: SEED_MANIFEST },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/releases/:release/rollback': {
      releaseOnly: true,
    },
    'POST /api/v1/orgs/:org/projects/:project/environments/:env/deploy': {
      message: 'ship it',
      manifest: SEED_MANIFEST,
    },
    'POST /api/v1/orgs/:org/projects/:project/api-keys': {
      name: 'reader',
      scope: 'read',
      environment: 'production',
      expiresIn: '30d',
      metadata: { team: 'billing' },
    },
    'POST /api/v1/orgs/:org/projects/:project/api-keys/:id/rotate': { gracePeriod: '1h' },
    'POST /api/v1/orgs/:org/projects/:project/verify': {
      key: apiKey.token,
      environment: 'production',
      scope: 'read',
    },
    'POST /api/v1/orgs/:org/webhooks': { url: 'http://127.0.0.1:9/other', events: ['release.created'] },
    'PATCH /api/v1/orgs/:org/webhooks/:id': { enabled: true, description: 'sweep' },
    'POST /api/v1/orgs/:org/projects/:project/effects': {
      url: 'http://127.0.0.1:9/fx2',
      payload: { b: 2 },
      retry: { maxAttempts: 3, backoffSeconds: [1] },
      idempotencyKey: 'sweep-1',
    },
    'POST /api/v1/orgs/:org/effects/replay': { endpoint: webhook.id, since: '2020-01-01T00:00:00Z' },
    'POST /api/v1/orgs/:org/effects/purge': { state: 'dead', olderThan: '7d', dryRun: true },
    'POST /api/v1/verify': { key: apiKey.token, environment: 'production', scope: 'read' },
    'POST /api/v1/orgs/:org/audit/verify': {},
    'POST /api/v1/orgs/:org/projects/:project/usage': {
      environment: 'production',
      items: [
        {
          keyId: apiKey.id,
          route: 'GET /tasks',
          outcome: 'VALID',
          count: 2,
          latencyMsTotal: 3,
          latencyMsMax: 2,
          lastAt: t.clock.now().toISOString(),
        },
      ],
      dropped: 0,
    },
  };

  return {
    owner,
    orgId,
    tokens: [owner.token, member.token, apiKey.token, platformKey.token, saKey.token, pat.token],
    secretValue,
    requiredQuery: { environment: 'production' },
    params,
    body: (route) => bodies[`${route.method} ${route.url}`],
  };
}

/** `route.url` with its parameters filled in (each value URL-encoded unless `raw` says otherwise). */
export function fillUrl(
  url: string,
  values: Record<string, string>,
  raw: Record<string, string> = {},
): string {
  return url.replace(/:([A-Za-z]+)/g, (_m, name: string) => raw[name] ?? encodeURIComponent(values[name]!));
}
