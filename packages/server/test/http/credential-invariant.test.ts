import {
  endpointList,
  missingPermissions,
  type PermissionSet,
  permissionList,
  ROLE_PERMISSIONS,
  type Role,
  scopeReach,
  WEBHOOK_EVENTS,
} from '@latchkey/core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import type { RouteInfo } from '../../src/http/security.js';
import { EVENTS_CHANNEL } from '../../src/store/notify.js';
import { makeProject, type ProjectFixture } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLogger } from '../helpers/logs.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
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
 * Webhook signing secrets grant no access, so they have no reach to compare: what is proved of
 * them is that only a caller allowed to manage webhooks gets one, and that it is shown once.
 */

// The production logger at its most talkative, so "never logged" covers every line it writes.
const logs = capturedLogger('trace');
const t = useTestApp({}, { logger: logs.logger });
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());
const ROLES: Role[] = ['owner', 'admin', 'developer', 'viewer'];
const EVERYTHING = permissionList(ROLE_PERMISSIONS.owner);

type Caller = { label: string; token: string; bounded: boolean };
type Reach = { permissions: PermissionSet; expiresAt: Date | null; scopes: string[] | null };
/** One request a caller makes to a credential route. */
type Attempt = { url: string; body: Record<string, unknown> };
/**
 * Platform credentials act on /api/v1 and have a measurable reach; app API keys call the app;
 * a webhook signing secret only signs deliveries.
 */
type Minted = { kind: 'platform' | 'app' | 'signing-secret' };

type World = {
  p: ProjectFixture;
  callers: Caller[];
  /** Targets for the rotation routes: the widest (no expiry, every scope) and a narrow one. */
  platformTargets: string[];
  apiKeyTargets: string[];
  /** The owner's PATs (one unscoped and long-lived, one narrow) and one key per service account. */
  patTargets: string[];
  saKeyTargets: { account: string; id: string }[];
  /** A webhook endpoint of the org, for rotate-secret. */
  webhookTargets: string[];
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
  const webhook = await call(t, owner.token, 'POST', `/api/v1/orgs/${org}/webhooks`, {
    url: rx.url('/world'),
    events: ['api_key.created'],
  });
  expect(webhook.statusCode, webhook.body).toBe(201);
  const webhookTargets = [webhook.json().id as string];
  return { p, callers, platformTargets, apiKeyTargets, patTargets, saKeyTargets, webhookTargets };
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
  'POST /api/v1/orgs/:org/webhooks': (w) => ({
    kind: 'signing-secret',
    attempts: [
      {
        url: `/api/v1/orgs/${w.p.orgId}/webhooks`,
        body: { url: rx.url('/minted'), events: [...WEBHOOK_EVENTS] },
      },
      {
        url: `/api/v1/orgs/${w.p.orgId}/webhooks`,
        body: { url: rx.url('/minted'), events: ['member.added'] },
      },
    ],
  }),
  'POST /api/v1/orgs/:org/webhooks/:id/rotate-secret': (w) => ({
    kind: 'signing-secret',
    attempts: w.webhookTargets.map((id) => ({
      url: `/api/v1/orgs/${w.p.orgId}/webhooks/${id}/rotate-secret`,
      body: {},
    })),
  }),
};

/** Checks one answer against the caller's reach; returns whether a credential was handed out. */
async function check(w: World, caller: Caller, route: string, kind: Minted['kind'], attempt: Attempt) {
  const res = await call(t, caller.token, 'POST', attempt.url, attempt.body);
  const where = `${caller.label} → ${route} ${JSON.stringify(attempt.body)}`;
  if (res.statusCode >= 300) {
    expect([400, 403, 404, 409], `${where}: ${res.body}`).toContain(res.statusCode);
    expect(res.body, where).not.toMatch(/"token"|"secret"|whsec_/);
    return false;
  }
  // Shown once: nothing between the server and the caller may keep a copy.
  expect(res.headers['cache-control'], where).toBe('no-store');
  if (kind === 'signing-secret') {
    expect(res.json().secret, where).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(res.body, where).not.toMatch(/"token"/);
    const holder = await reachOf(w, caller.token);
    expect(holder.permissions.webhooks, where).toMatch(/write|manage/);
    return true;
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

/** Every string a GET route of the table answers with, for the org's webhook endpoint and effects. */
async function everyReadable(token: string, values: Record<string, string>): Promise<string[]> {
  const streamed = new Set(endpointList.filter((e) => e.endpoint.stream).map((e) => e.id));
  const bodies: string[] = [];
  for (const route of t.app.routeTable) {
    if (route.method !== 'GET' || streamed.has(route.id)) continue;
    const names = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    if (!names.every((n) => n in values)) continue;
    const url = route.url.replace(/:([A-Za-z]+)/g, (_m, n: string) => encodeURIComponent(values[n]!));
    const res = await call(t, token, 'GET', url);
    bodies.push(`${route.id} ${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
  }
  return bodies;
}

describe('a webhook signing secret', () => {
  it('is shown once: never logged, never in audit entries, events, effects or deliveries, never readable again', async () => {
    const p = await makeProject(t);
    const org = p.orgId;
    const fromLine = logs.lines.length;
    // Everything published on the cross-node bus while the secrets exist.
    const listener = new pg.Client({ ...t.database.pool.options });
    await listener.connect();
    const published: string[] = [];
    listener.on('notification', (n) => published.push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    try {
      const created = await call(t, p.owner.token, 'POST', `/api/v1/orgs/${org}/webhooks`, {
        url: rx.url('/shown-once'),
        events: ['api_key.created', 'secret.changed'],
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      const endpoint = created.json().id as string;
      const first = created.json().secret as string;
      rx.trust('/shown-once', first);
      await p.createKey();
      await t.app.services.effectsWorker.drain();
      const rotated = await call(
        t,
        p.owner.token,
        'POST',
        `/api/v1/orgs/${org}/webhooks/${endpoint}/rotate-secret`,
      );
      expect(rotated.statusCode, rotated.body).toBe(200);
      expect(rotated.headers['cache-control']).toBe('no-store');
      const second = rotated.json().secret as string;
      rx.trust('/shown-once', second);
      await p.createKey();
      expect(
        (await call(t, p.owner.token, 'POST', `/api/v1/orgs/${org}/webhooks/${endpoint}/test`)).statusCode,
      ).toBe(202);
      await t.app.services.effectsWorker.drain();

      // The secrets shown are the ones deliveries are signed with (a third-party verifier says so).
      const got = rx.at('/shown-once');
      expect(got.length).toBeGreaterThanOrEqual(3);
      expect(got.every((r) => r.verified)).toBe(true);
      const shown = [first, second];
      const leaks = (where: string, text: string) => {
        for (const secret of shown) {
          // The base64 body, and its raw bytes as hex (how bytea reads back), are both looked for.
          const body = secret.slice('whsec_'.length);
          expect(text.includes(body), `${where} holds a signing secret`).toBe(false);
          expect(text.includes(Buffer.from(body, 'base64').toString('hex')), `${where} holds its bytes`).toBe(
            false,
          );
        }
      };
      for (const r of got) leaks(`delivery to ${r.path}`, JSON.stringify(r.headers) + r.body);
      leaks('the bus', published.join('\n'));
      expect(published.length).toBeGreaterThan(0);

      const lines = logs.lines.slice(fromLine);
      expect(lines.some((l) => l.includes('rotate-secret'))).toBe(true);
      leaks('the log', lines.join('\n'));

      // Not readable again: every GET route that can name this org, endpoint and effects.
      const effects = (
        await t.database.db.execute(sql`SELECT id FROM effects WHERE endpoint_id = ${endpoint}`)
      ).rows.map((r) => r.id as string);
      expect(effects.length).toBeGreaterThanOrEqual(3);
      const readable = await everyReadable(p.owner.token, {
        org,
        id: endpoint,
        project: p.projectId,
        environment: 'production',
      });
      readable.push(...(await everyReadable(p.owner.token, { org, id: effects[0]! })));
      expect(readable.filter((r) => / 200 /.test(r)).length).toBeGreaterThan(10);
      for (const body of readable) leaks(body.split(' ')[0]!, body);

      // Nowhere in the database as text: audit entries, effects and their attempts, event logs,
      // every table. (The secret kept to sign with is sealed under the master key.)
      const tables = (
        await t.database.db.execute(
          sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
        )
      ).rows.map((r) => r.table_name as string);
      expect(tables).toEqual(expect.arrayContaining(['audit_events', 'effects', 'effect_attempts']));
      for (const table of tables) {
        for (const secret of shown) {
          const body = secret.slice('whsec_'.length);
          const hex = Buffer.from(body, 'base64').toString('hex');
          const found = await t.database.db.execute(
            sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} x
                WHERE strpos(x::text, ${body}) > 0 OR strpos(x::text, ${hex}) > 0`,
          );
          expect(found.rows[0]!.n, `${table} holds a signing secret`).toBe(0);
        }
      }
    } finally {
      await listener.end();
    }
  });
});

describe('the server refuses to start', () => {
  it.each(['token', 'secret', 'signing_secret'])(
    'when a route answers with a `%s` but is not marked returnsCredential',
    async (field) => {
      const { routeModules } = await import('../../src/routes/index.js');
      const { z } = await import('zod');
      routeModules.push((app) => {
        app.post(
          '/api/v1/orgs/:org/sneaky',
          {
            config: { permission: 'org:read' },
            schema: {
              response: { 201: z.object({ id: z.string(), nested: z.object({ [field]: z.string() }) }) },
            },
          },
          async () => ({ id: 'x', nested: { [field]: 'y' } }),
        );
      });
      try {
        await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
          /POST \/api\/v1\/orgs\/:org\/sneaky answers with a token or signing secret but is not marked config\.returnsCredential/,
        );
      } finally {
        routeModules.pop();
      }
    },
  );
});
