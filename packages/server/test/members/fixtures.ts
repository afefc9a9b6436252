import type { Role } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { SignedUp, TestApp } from '../helpers/app.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One authenticated request through the real app. */
export function call(t: TestApp, token: string, method: Method, url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url,
    headers: t.auth(token),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

let orgs = 0;

/** A shared (non-personal) org owned by `owner`, with a unique name. */
export async function createOrg(t: TestApp, owner: SignedUp, name = `team-${++orgs}-${Date.now()}`) {
  const res = await call(t, owner.token, 'POST', '/api/v1/orgs', { name });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; name: string };
}

/** A new user who joined `orgId` with `role` the way a person does: invited, then accepting. */
export async function addMember(
  t: TestApp,
  inviterToken: string,
  orgId: string,
  role: Role,
): Promise<SignedUp> {
  const member = await t.signUp();
  const invited = await call(t, inviterToken, 'POST', `/api/v1/orgs/${orgId}/invitations`, {
    email: member.email,
    role,
  });
  expect(invited.statusCode, invited.body).toBe(201);
  const accepted = await call(t, member.token, 'POST', `/api/v1/invitations/${invited.json().id}/accept`);
  expect(accepted.statusCode, accepted.body).toBe(200);
  return member;
}

export async function auditRows(t: TestApp, orgId: string) {
  const res = await t.database.db.execute(
    sql`SELECT action, actor_id, target_type, target_id, data FROM audit_events WHERE org_id = ${orgId} ORDER BY id`,
  );
  return res.rows as {
    action: string;
    actor_id: string;
    target_type: string;
    target_id: string;
    data: Record<string, unknown>;
  }[];
}
