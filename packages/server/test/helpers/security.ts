import { can, isPermission, type Permission, RESOURCES, ROLE_PERMISSIONS, type Role } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { expect, vi } from 'vitest';
import type { RouteInfo } from '../../src/http/security.js';
import type { TestApp } from './app.js';

/**
 * The shared security cases, run for every route of the route table, so a new route is covered
 * by default: no token, malformed token (without touching the database), expired, revoked,
 * another org's resource, too low a role.
 */
export type SecurityFixture = {
  ownerToken: string;
  orgId: string;
  otherOrgId: string;
  expiredToken: string;
  revokedToken: string;
  malformedToken: string;
  tokensByRole: Record<Role, string>;
  /** Owner PATs scoped to exactly one permission, for permissions every role has. */
  scopedToken(permission: string): Promise<string>;
};

const ROLE_ORDER: Role[] = ['viewer', 'developer', 'admin', 'owner'];

export async function makeSecurityFixture(t: TestApp): Promise<SecurityFixture> {
  const owner = await t.signUp();
  const other = await t.signUp();
  const tokensByRole = { owner: owner.token } as Record<Role, string>;
  for (const role of ['admin', 'developer', 'viewer'] as const) {
    const member = await t.signUp();
    await t.database.db.execute(
      sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${owner.personalOrgId}, ${member.userId}, ${role})`,
    );
    tokensByRole[role] = member.token;
  }
  const expired = await t.signUp();
  await t.database.db.execute(
    sql`UPDATE tokens SET expires_at = now() - interval '1 day' WHERE user_id = ${expired.userId}`,
  );
  const revoked = await t.signUp();
  await t.database.db.execute(sql`UPDATE tokens SET revoked_at = now() WHERE user_id = ${revoked.userId}`);
  // A well-formed token with one character changed: the checksum no longer matches.
  const last = owner.token.at(-1) === 'A' ? 'B' : 'A';
  const malformedToken = owner.token.slice(0, -1) + last;

  return {
    ownerToken: owner.token,
    orgId: owner.personalOrgId,
    otherOrgId: other.personalOrgId,
    expiredToken: expired.token,
    revokedToken: revoked.token,
    malformedToken,
    tokensByRole,
    async scopedToken(permission: string) {
      const [resource] = permission.split(':');
      const otherScope = RESOURCES.find((r) => r !== resource)!;
      const created = await t.app.services.tokens.createPat(owner.actor, {
        name: `scoped ${permission}`,
        scopes: [`${otherScope}:read`],
      });
      return created.token;
    },
  };
}

function fillPath(url: string, orgId: string): string {
  return url
    .replace(':org', encodeURIComponent(orgId))
    .replace(/:([A-Za-z]+)/g, (_m, name: string) => `${name}_0000000000000000`);
}

function request(t: TestApp, route: RouteInfo, url: string, token?: string) {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  return t.app.inject({
    method: route.method as 'GET',
    url,
    headers: token ? t.auth(token) : {},
    ...(hasBody ? { payload: {} } : {}),
  });
}

/** The lowest role that lacks `permission`, if any does. */
function roleLacking(permission: Permission): Role | null {
  return ROLE_ORDER.find((r) => !can(ROLE_PERMISSIONS[r], permission)) ?? null;
}

export async function expectRouteIsGuarded(t: TestApp, fx: SecurityFixture, route: RouteInfo): Promise<void> {
  const url = fillPath(route.url, fx.orgId);
  const where = `${route.method} ${route.url}`;

  const none = await request(t, route, url);
  expect(none.statusCode, `${where} without a token`).toBe(401);
  expect(none.json().error.code).toBe('UNAUTHENTICATED');

  const pools = [t.database.pool, t.database.verifyPool];
  const spies = pools.flatMap((pool) => [vi.spyOn(pool, 'query'), vi.spyOn(pool, 'connect')]);
  try {
    const malformed = await request(t, route, url, fx.malformedToken);
    expect(malformed.statusCode, `${where} with a bad checksum`).toBe(401);
    expect(malformed.json().error.code).toBe('INVALID_TOKEN');
    for (const spy of spies)
      expect(spy, `${where}: a malformed token must not reach the database`).not.toHaveBeenCalled();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }

  const expired = await request(t, route, url, fx.expiredToken);
  expect(expired.statusCode, `${where} with an expired token`).toBe(401);
  expect(expired.json().error.code).toBe('TOKEN_EXPIRED');

  const revoked = await request(t, route, url, fx.revokedToken);
  expect(revoked.statusCode, `${where} with a revoked token`).toBe(401);
  expect(revoked.json().error.code).toBe('TOKEN_REVOKED');

  if (!isPermission(route.permission)) return;

  const foreign = await request(t, route, fillPath(route.url, fx.otherOrgId), fx.ownerToken);
  expect(foreign.statusCode, `${where} in another org`).toBe(404);
  expect(foreign.json().error.code).toBe('NOT_FOUND');

  const role = roleLacking(route.permission);
  const lowToken = role ? fx.tokensByRole[role] : await fx.scopedToken(route.permission);
  const low = await request(t, route, url, lowToken);
  expect(low.statusCode, `${where} as ${role ?? 'a token scoped without it'}`).toBe(403);
  expect(low.json().error.code).toBe('PERMISSION_DENIED');
  expect(low.json().error.message).toContain(route.permission);
}
