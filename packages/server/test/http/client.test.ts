import { type AddressInfo, createServer } from 'node:net';
import { ApiError, apiKeys, createClient, me, orgs, pats, projects } from '@latchkey/core';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
let baseUrl = '';

beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.app.server.close();
});

describe('the typed client (core) over real HTTP', () => {
  it('calls endpoints of the table with typed input and answers checked against the contract', async () => {
    const owner = await t.signUp();
    const client = createClient({ baseUrl, token: owner.token, validateResponses: true });
    const who = await client.call(me.get);
    expect(who.user?.email).toBe(owner.email);

    const project = await client.call(projects.create, {
      params: { org: owner.personalOrgId },
      body: { name: 'client-app' },
    });
    expectTypeOf(project.keyPrefix).toEqualTypeOf<string>();
    const listed = await client.all(projects.list, { params: { org: owner.personalOrgId } });
    expect(listed.map((p) => p.name)).toEqual(['client-app']);
  });

  it('follows nextCursor through every page', async () => {
    const owner = await t.signUp();
    const client = createClient({ baseUrl, token: owner.token, validateResponses: true });
    for (let i = 0; i < 3; i++) await client.call(pats.create, { body: { name: `p${i}` } });
    const pages = [];
    for await (const page of client.pages(pats.list, { query: { limit: 2 } })) pages.push(page.items.length);
    expect(pages).toEqual([2, 2]); // the sign-up PAT and three more
    expect((await client.all(pats.list)).map((p) => p.name).sort()).toEqual(['p0', 'p1', 'p2', 'test']);
  });

  it('turns error answers into ApiErrors with the endpoint codes, narrowed by code', async () => {
    const owner = await t.signUp();
    const client = createClient({ baseUrl, token: owner.token });
    await client.call(orgs.create, { body: { name: 'client-org' } });
    const again = await client.attempt(orgs.create, { body: { name: 'client-org' } });
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expectTypeOf(again.error.code).toExtend<'CONFLICT' | 'INVALID_INPUT' | 'UNAUTHENTICATED' | string>();
    expect(again.error).toBeInstanceOf(ApiError);
    expect(again.error).toMatchObject({ code: 'CONFLICT', httpStatus: 409, hint: expect.any(String) });
    expect(again.error.requestId).toMatch(/^req_/);

    const missing = await client.attempt(apiKeys.revoke, {
      params: { org: owner.personalOrgId, project: 'nope', id: 'key_1' },
    });
    expect(!missing.ok && missing.error.code).toBe('NOT_FOUND');

    const anonymous = createClient({ baseUrl });
    await expect(anonymous.call(me.get)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401 });
  });

  it('refuses an empty path parameter before any request (it would name another route)', async () => {
    let requests = 0;
    const client = createClient({
      baseUrl,
      token: 'x',
      fetch: async () => {
        requests++;
        throw new Error('no request expected');
      },
    });
    await expect(
      client.call(apiKeys.revoke, { params: { org: 'o', project: 'p', id: ' ' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('`id`') });
    expect(requests).toBe(0);
  });

  it('answers SERVICE_UNAVAILABLE, without the token, when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const token = 'lk_pat_secretvalue';
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, token });
    const err = (await client.call(me.get).catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 0 });
    expect(err.message).not.toContain(token);
  });

  it('rejects an answer that does not match the contract when asked to validate', async () => {
    const client = createClient({
      baseUrl,
      validateResponses: true,
      fetch: async () => ({ status: 200, headers: { get: () => null }, text: async () => '{"user":1}' }),
    });
    await expect(client.call(me.get)).rejects.toThrow(/GET \/api\/v1\/me answered 200 off-contract/);
  });
});
