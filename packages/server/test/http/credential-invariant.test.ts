import {
  missingPermissions,
  type PermissionSet,
  permissionList,
  ROLE_PERMISSIONS,
  type Role,
  scopeReach,
} from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import type { RouteInfo } from '../../src/http/security.js';
import { makeProject, type ProjectFixture } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import {
  addMember,
  call,
  createKey,
  createServiceAccount,
  createServiceAccountKey,
} from '../keys/fixtures.js';
import { Browser, devSignIn } from '../web/browser.js';

/**
 * SPEC 2's rule, checked from the outside for every route that hands out a credential: whoever
 * calls, what comes back can do no more than the caller, and (unless the caller is a person's own
 * unscoped credential, which stands for the person) stops working no later than the caller does.
 * The routes come from the route table, so a newly marked route fails here until it has a driver.
 */

const t = useTestApp();
const ROLES: Role[] = ['owner', 'admin', 'developer', 'viewer'];
const EVERYTHING = permissionList(ROLE_PERMISSIONS.owner);

type Caller = { label: string; token: string; bounded: boolean };
type Reach = { permissions: PermissionSet; expiresAt: Date | null; scopes: string[] | null };
/** One request a caller makes to a credential route. */
type Attempt = { url: string; body: Record<string, unknown> };
/** Platform credentials act on /api/v1 and have a measurable reach; app API keys call the app. */
type Minted = { kind: 'platform' | 'app' };

type World = {
  p: ProjectFixture;
  callers: Caller[];
  /** Targets for the rotation routes: the widest (no expiry, every scope) and a narrow one. */
  platformTargets: string[];
  apiKeyTargets: string[];
  /** The owner's PATs (one unscoped and long-lived, one narrow) and one key per service account. */
  patTargets: string[];
  saKeyTargets: { account: string; id: string }[];
};

async function reachOf(world: World, token: string): Promise<Reach> {
  const principal = await t.app.services.tokens.authenticate(token);
  const org = await t.app.services.orgs.resolve(principal, world.p.orgId);
  return {
    permissions: org.permissions,
    expiresAt: principal.credential.expiresAt,
    scopes: principal.credential.scopes,
  };
}

async function buildWorld(): Promise<World> {
  const p = await makeProject(t);
  const owner = p.owner;
  const org = p.orgId;
  const callers: Caller[] = [];
  for (const role of ROLES) {
    const member = role === 'owner' ? owner : await addMember(t, owner.token, org, role);
    callers.push({ label: `${role} (unscoped PAT)`, token: member.token, bounded: false });
    const scoped = await t.app.services.tokens.createPat(member.actor, {
      name: `${role} scoped`,
      scopes: permissionList(ROLE_PERMISSIONS[role]),
      expiresIn: '2h',
    });
    callers.push({ label: `${role} (scoped 2h PAT)`, token: scoped.token, bounded: true });
    const narrow = await t.app.services.tokens.createPat(member.actor, {
      name: `${role} narrow`,
      scopes: ['platform_keys:write', 'service_accounts:write', 'api_keys:write', 'projects:read'],
    });
    callers.push({ label: `${role} (narrow PAT)`, token: narrow.token, bounded: true });
  }
  const ownerKey = await createKey(t, owner.token, org, { scopes: EVERYTHING, expiresIn: '3h' });
  callers.push({ label: "owner's platform key (3h)", token: ownerKey.token, bounded: true });
  const devKey = await createKey(t, owner.token, org, {
    scopes: ['platform_keys:write', 'service_accounts:write', 'api_keys:write', 'projects:read'],
  });
  callers.push({ label: 'narrow platform key', token: devKey.token, bounded: true });
  for (const role of ['admin', 'developer'] as const) {
    await createServiceAccount(t, owner.token, org, `${role}-bot`, role);
    const key = await createServiceAccountKey(t, owner.token, org, `${role}-bot`, { expiresIn: '4h' });
    callers.push({ label: `${role} service-account key (4h)`, token: key.token, bounded: true });
  }
  await createServiceAccount(t, owner.token, org, 'viewer-bot', 'viewer');

  const platformTargets = [
    (await createKey(t, owner.token, org, { name: 'wide', scopes: EVERYTHING })).id,
    (await createKey(t, owner.token, org, { name: 'narrow', scopes: ['projects:read'], expiresIn: '1h' })).id,
  ];
  const apiKeyTargets = [(await p.createKey()).id, (await p.createKey({ expiresIn: '1h' })).id];
  const patTargets = [
    (await t.app.services.tokens.createPat(owner.actor, { name: 'wide target', expiresIn: '366d' })).id,
    (
      await t.app.services.tokens.createPat(owner.actor, {
        name: 'narrow target',
        scopes: ['projects:read'],
        expiresIn: '1h',
      })
    ).id,
  ];
  const saKeyTargets = [];
  for (const account of ['admin-bot', 'developer-bot', 'viewer-bot']) {
    saKeyTargets.push({ account, id: (await createServiceAccountKey(t, owner.token, org, account)).id });
  }
  return { p, callers, platformTargets, apiKeyTargets, patTargets, saKeyTargets };
}

/**
 * How each credential route is driven: the greediest requests a caller could make (everything,
 * for as long as allowed) and a modest one that an entitled caller must be granted.
 */
const DRIVERS: Record<string, (w: World) => { attempts: Attempt[]; kind: Minted['kind'] }> = {
  'POST /api/v1/pats': () => ({
    kind: 'platform',
    attempts: [
      { url: '/api/v1/pats', body: { name: 'wide', expiresIn: '366d' } },
      { url: '/api/v1/pats', body: { name: 'default' } },
      { url: '/api/v1/pats', body: { name: 'modest', scopes: ['projects:read'], expiresIn: '1h' } },
    ],
  }),
  'POST /api/v1/orgs/:org/keys': (w) => ({
    kind: 'platform',
    attempts: [
      { url: `/api/v1/orgs/${w.p.orgId}/keys`, body: { name: 'wide', scopes: EVERYTHING } },
      {
        url: `/api/v1/orgs/${w.p.orgId}/keys`,
        body: { name: 'long', scopes: ['projects:read'], expiresIn: '365d' },
      },
      {
        url: `/api/v1/orgs/${w.p.orgId}/keys`,
        body: { name: 'modest', scopes: ['projects:read'], expiresIn: '1h' },
      },
    ],
  }),
  'POST /api/v1/orgs/:org/keys/:id/rotate': (w) => ({
    kind: 'platform',
    attempts: w.platformTargets.map((id) => ({
      url: `/api/v1/orgs/${w.p.orgId}/keys/${id}/rotate`,
      body: { gracePeriod: '1h' },
    })),
  }),
  'POST /api/v1/orgs/:org/service-accounts/:id/keys': (w) => ({
    kind: 'platform',
    attempts: ['admin-bot', 'developer-bot', 'viewer-bot'].flatMap((sa) => [
      { url: `/api/v1/orgs/${w.p.orgId}/service-accounts/${sa}/keys`, body: {} },
      { url: `/api/v1/orgs/${w.p.orgId}/service-accounts/${sa}/keys`, body: { expiresIn: '1h' } },
    ]),
  }),
  'POST /api/v1/pats/:id/rotate': (w) => ({
    kind: 'platform',
    attempts: w.patTargets.map((id) => ({ url: `/api/v1/pats/${id}/rotate`, body: {} })),
  }),
  'POST /api/v1/orgs/:org/service-accounts/:id/keys/:keyId/rotate': (w) => ({
    kind: 'platform',
    attempts: w.saKeyTargets.map(({ account, id }) => ({
      url: `/api/v1/orgs/${w.p.orgId}/service-accounts/${account}/keys/${id}/rotate`,
      body: { gracePeriod: '1h' },
    })),
  }),
  'POST /api/v1/orgs/:org/projects/:project/api-keys': (w) => ({
    kind: 'app',
    attempts: [{}, { expiresIn: '365d' }, { expiresIn: '1h' }].map((extra) => ({
      url: `${w.p.base}/api-keys`,
      body: { name: 'minted', scope: 'writer', environment: 'production', ...extra },
    })),
  }),
  'POST /api/v1/orgs/:org/projects/:project/api-keys/:id/rotate': (w) => ({
    kind: 'app',
    attempts: w.apiKeyTargets.map((id) => ({
      url: `${w.p.base}/api-keys/${id}/rotate`,
      body: { gracePeriod: '1h' },
    })),
  }),
};

/** Checks one answer against the caller's reach; returns whether a credential was handed out. */
async function check(w: World, caller: Caller, route: string, kind: Minted['kind'], attempt: Attempt) {
  const res = await call(t, caller.token, 'POST', attempt.url, attempt.body);
  const where = `${caller.label} → ${route} ${JSON.stringify(attempt.body)}`;
  if (res.statusCode >= 300) {
    expect([400, 403, 404, 409], `${where}: ${res.body}`).toContain(res.statusCode);
    expect(res.body, where).not.toMatch(/"token"/);
    return false;
  }
  const body = res.json() as { token: string; expiresAt: string | null };
  const mintedExpiry = body.expiresAt ? new Date(body.expiresAt) : null;
  const holder = await reachOf(w, caller.token);
  if (caller.bounded && holder.expiresAt) {
    expect(mintedExpiry, `${where}: outlives its caller`).not.toBeNull();
    expect(mintedExpiry!.getTime(), `${where}: outlives its caller`).toBeLessThanOrEqual(
      holder.expiresAt.getTime(),
    );
  }
  if (kind === 'app') {
    // App keys hold no platform permission; only a caller with api_keys:write may get one.
    expect(holder.permissions.api_keys, where).toMatch(/write|manage/);
    return true;
  }
  const minted = await reachOf(w, body.token);
  expect(minted.expiresAt?.toISOString() ?? null, where).toBe(body.expiresAt);
  expect(missingPermissions(holder.permissions, permissionList(minted.permissions)), where).toEqual([]);
  if (holder.scopes !== null && body.token.startsWith('lk_pat_')) {
    // A PAT acts in every org of its person: its scopes, not only this org, stay within the caller's.
    expect(
      missingPermissions(scopeReach(holder.scopes), permissionList(scopeReach(minted.scopes))),
      where,
    ).toEqual([]);
  }
  return true;
}

describe('every route that returns a credential', () => {
  it('is driven by this test (a new one fails here until it is)', () => {
    const routes = t.app.credentialRoutes.map((r) => `${r.method} ${r.url}`);
    expect(routes.length).toBeGreaterThanOrEqual(7);
    for (const route of routes) {
      expect(route in DRIVERS || route === 'POST /oauth/token', `no driver for ${route}`).toBe(true);
    }
  });

  it('hands out nothing wider or longer-lived than its caller, for every kind of caller', async () => {
    const w = await buildWorld();
    const granted = new Map<string, number>();
    for (const route of t.app.credentialRoutes.filter((r: RouteInfo) => r.url.startsWith('/api/v1'))) {
      const key = `${route.method} ${route.url}`;
      const { attempts, kind } = DRIVERS[key]!(w);
      for (const caller of w.callers) {
        for (const attempt of attempts) {
          if (await check(w, caller, key, kind, attempt)) granted.set(key, (granted.get(key) ?? 0) + 1);
        }
      }
      t.clock.advance(1000);
    }
    // Not vacuous: every route did hand out credentials to callers entitled to them.
    for (const route of Object.keys(DRIVERS)) expect(granted.get(route), route).toBeGreaterThan(0);
    // About 200 requests: give a loaded machine room.
  }, 120_000);

  it('the OAuth token endpoint: the PAT a person approves has their role, never more', async () => {
    const w = await buildWorld();
    for (const role of ROLES) {
      const member = role === 'owner' ? w.p.owner : await addMember(t, w.p.owner.token, w.p.orgId, role);
      const start = await t.app.inject({
        method: 'POST',
        url: '/oauth/device/code',
        payload: new URLSearchParams({ client_id: 'latch-cli', device_name: `box-${role}` }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const grant = start.json() as { device_code: string; user_code: string };
      const browser = Browser.inject(t.app);
      await devSignIn(browser, member.email);
      const entry = await browser.get(`/device?user_code=${grant.user_code}`);
      const confirm = await browser.submit(entry, '/device', { user_code: grant.user_code });
      await browser.submit(confirm, '/device/approve', { decision: 'approve' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: grant.device_code,
          client_id: 'latch-cli',
        },
      });
      expect(res.statusCode, res.body).toBe(200);
      const minted = await reachOf(w, res.json().access_token);
      expect(missingPermissions(ROLE_PERMISSIONS[role], permissionList(minted.permissions)), role).toEqual(
        [],
      );
    }
  });
});

describe('the server refuses to start', () => {
  it('when a route answers with a token but is not marked returnsCredential', async () => {
    const { routeModules } = await import('../../src/routes/index.js');
    const { z } = await import('zod');
    routeModules.push((app) => {
      app.post(
        '/api/v1/orgs/:org/sneaky',
        {
          config: { permission: 'org:read' },
          schema: {
            response: { 201: z.object({ id: z.string(), nested: z.object({ token: z.string() }) }) },
          },
        },
        async () => ({ id: 'x', nested: { token: 'y' } }),
      );
    });
    try {
      await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
        /POST \/api\/v1\/orgs\/:org\/sneaky answers with a token but is not marked config\.returnsCredential/,
      );
    } finally {
      routeModules.pop();
    }
  });
});
