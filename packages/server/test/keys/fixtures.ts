import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { call } from '../members/fixtures.js';

export { addMember, auditRows, call, createOrg } from '../members/fixtures.js';

export type CreatedKey = {
  id: string;
  token: string;
  name: string;
  prefix: string;
  scopes: string[];
  status: string;
};

/** A platform key made through the API by `token`'s holder; fails the test unless it is created. */
export async function createKey(
  t: TestApp,
  token: string,
  orgId: string,
  body: { name?: string; scopes: string[]; expiresIn?: string | number },
): Promise<CreatedKey> {
  const res = await call(t, token, 'POST', `/api/v1/orgs/${orgId}/keys`, { name: 'ci', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function createServiceAccount(
  t: TestApp,
  token: string,
  orgId: string,
  name: string,
  role: string,
) {
  const res = await call(t, token, 'POST', `/api/v1/orgs/${orgId}/service-accounts`, { name, role });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string; role: string };
}

export async function createServiceAccountKey(
  t: TestApp,
  token: string,
  orgId: string,
  account: string,
  body = {},
) {
  const res = await call(
    t,
    token,
    'POST',
    `/api/v1/orgs/${orgId}/service-accounts/${encodeURIComponent(account)}/keys`,
    body,
  );
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as {
    id: string;
    token: string;
    name: string;
    prefix: string;
    status: string;
    expiresAt: string | null;
  };
}

/** Status code and error code of a GET made with `token`: the usual way to ask "does this key work?". */
export async function probe(t: TestApp, token: string, url: string) {
  const res = await call(t, token, 'GET', url);
  return {
    status: res.statusCode,
    code: res.statusCode >= 400 ? (res.json().error.code as string) : 'OK',
    body: res.json(),
  };
}
