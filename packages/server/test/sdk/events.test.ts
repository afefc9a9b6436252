import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type ProjectFixture } from '../api-keys/fixtures.js';
import { useListeningTestApp } from '../helpers/app.js';
import { readSse, type SseFrame } from '../helpers/sse.js';
import { createKey } from '../keys/fixtures.js';
import { addMember } from '../members/fixtures.js';

const t = useListeningTestApp();
let p: ProjectFixture;

beforeAll(async () => {
  p = await makeProject(t);
});

/** Reads server-sent events from this app's `path` until `until` says stop. */
const stream = (
  token: string,
  path: string,
  until: (frames: SseFrame[]) => boolean,
  headers: Record<string, string> = {},
) => readSse(t.url + path, token, until, headers);

const hex = (token: string) => createHash('sha256').update(token).digest('hex');
const eventsPath = (env = 'production') => `${p.base}/events?environment=${env}`;

describe('GET …/projects/:project/events (key changes for SDKs)', () => {
  it('says hello, then pushes a revocation with the key hash and never the token', async () => {
    const key = await p.createKey();
    const s = await stream(p.owner.token, eventsPath(), (f) => f.some((x) => x.event === 'revoked'));
    expect(s.res.headers.get('content-type')).toContain('text/event-stream');
    await t.app.inject({
      method: 'DELETE',
      url: `${p.base}/api-keys/${key.id}`,
      headers: t.auth(p.owner.token),
    });
    await s.done;
    s.close();
    expect(s.frames[0]).toMatchObject({
      event: 'hello',
      data: { resumed: false, cache: true, environment: 'production' },
    });
    const revoked = s.frames.find((f) => f.event === 'revoked')!;
    expect(revoked.data.hashes).toContain(hex(key.token));
    expect(JSON.stringify(s.frames)).not.toContain(key.token);
  });

  it('resumes after a disconnect with Last-Event-ID, replaying only this environment', async () => {
    const first = await stream(p.owner.token, eventsPath(), (f) => f.length >= 1);
    await first.done;
    first.close();
    const cursor = first.frames[0]!.id!;
    const key = await p.createKey();
    await t.app.inject({
      method: 'POST',
      url: `${p.base}/api-keys/${key.id}/rotate`,
      headers: t.auth(p.owner.token),
      payload: { gracePeriod: '1h' },
    });
    // Give the NOTIFY a moment to arrive while nobody is connected.
    await new Promise((r) => setTimeout(r, 200));
    const again = await stream(p.owner.token, eventsPath(), (f) => f.some((x) => x.event === 'rotated'), {
      'last-event-id': cursor,
    });
    await again.done;
    again.close();
    expect(again.frames[0]).toMatchObject({ event: 'hello', data: { resumed: true } });
    expect(again.frames.find((f) => f.event === 'rotated')!.data.hashes).toContain(hex(key.token));

    const staging = await stream(p.owner.token, eventsPath('staging'), (f) => f.length >= 1, {
      'last-event-id': cursor,
    });
    await staging.done;
    staging.close();
    expect(staging.frames).toHaveLength(1);
    expect(staging.frames[0]!.data.resumed).toBe(true);
  });

  it('refuses to resume from an unknown position (the SDK then drops its cache)', async () => {
    const s = await stream(p.owner.token, eventsPath(), (f) => f.length >= 1, { 'last-event-id': 'abc-1' });
    await s.done;
    s.close();
    expect(s.frames[0]!.data.resumed).toBe(false);
  });

  it('refuses to resume from a position the shared log no longer reaches (rows deleted as too old)', async () => {
    const first = await stream(p.owner.token, eventsPath(), (f) => f.length >= 1);
    await first.done;
    first.close();
    const cursor = Number(first.frames[0]!.id);
    for (const key of [await p.createKey(), await p.createKey()]) {
      await t.app.inject({
        method: 'DELETE',
        url: `${p.base}/api-keys/${key.id}`,
        headers: t.auth(p.owner.token),
      });
    }
    // What the day-old pruning does: the revocation right after the cursor is gone from the log.
    await t.database.pool.query('DELETE FROM key_events WHERE id <= $1', [cursor + 1]);
    const s = await stream(p.owner.token, eventsPath(), (f) => f.length >= 1, {
      'last-event-id': String(cursor),
    });
    await s.done;
    s.close();
    expect(s.frames[0]).toMatchObject({ event: 'hello', data: { resumed: false } });
  });

  it('404 for an unknown environment, another org or project; 401 without a token', async () => {
    expect((await fetch(t.url + eventsPath('nope'), { headers: t.auth(p.owner.token) })).status).toBe(404);
    const other = await makeProject(t);
    expect((await fetch(t.url + eventsPath(), { headers: t.auth(other.owner.token) })).status).toBe(404);
    expect((await fetch(t.url + eventsPath())).status).toBe(401);
  });
});

describe('POST …/projects/:project/usage', () => {
  it('sets lastUsedAt for this project’s keys only, coalesced', async () => {
    const key = await p.createKey();
    const other = await makeProject(t);
    const theirs = await other.createKey();
    const at = t.clock.now().toISOString();
    const item = (keyId: string) => ({
      keyId,
      route: 'GET /v1/projects',
      outcome: 'VALID',
      count: 3,
      latencyMsTotal: 1.5,
      latencyMsMax: 1,
      lastAt: at,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `${p.base}/usage`,
      headers: t.auth(p.owner.token),
      payload: { items: [item(key.id), item(theirs.id)], dropped: 0 },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, stored: 1, lastUsedUpdated: 1 });
    const list = async (f: ProjectFixture) =>
      (
        await t.app.inject({ method: 'GET', url: `${f.base}/api-keys`, headers: t.auth(f.owner.token) })
      ).json().items;
    expect((await list(p)).find((k: { id: string }) => k.id === key.id).lastUsedAt).not.toBeNull();
    expect((await list(other))[0].lastUsedAt).toBeNull();
    const again = await t.app.inject({
      method: 'POST',
      url: `${p.base}/usage`,
      headers: t.auth(p.owner.token),
      payload: { items: [item(key.id)] },
    });
    expect(again.json().lastUsedUpdated).toBe(0);
  });

  it('shares the once-a-minute rule with verification: a use already recorded is not written again', async () => {
    const key = await p.createKey();
    expect((await p.verify({ key: key.token })).code).toBe('VALID');
    t.clock.advance(30_000);
    const report = (at: string) =>
      t.app.inject({
        method: 'POST',
        url: `${p.base}/usage`,
        headers: t.auth(p.owner.token),
        payload: {
          items: [
            {
              keyId: key.id,
              route: null,
              outcome: 'VALID',
              count: 1,
              latencyMsTotal: 0,
              latencyMsMax: 0,
              lastAt: at,
            },
          ],
        },
      });
    expect((await report(t.clock.now().toISOString())).json().lastUsedUpdated).toBe(0);
    t.clock.advance(31_000);
    expect((await report(t.clock.now().toISOString())).json().lastUsedUpdated).toBe(1);
  });

  it('needs logs:write: a viewer, or a key with only api_keys:read, changes no lastUsedAt', async () => {
    const key = await p.createKey();
    const report = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: `${p.base}/usage`,
        headers: t.auth(token),
        payload: {
          items: [
            {
              keyId: key.id,
              route: 'GET /v1/projects',
              outcome: 'VALID',
              count: 1,
              latencyMsTotal: 1,
              latencyMsMax: 1,
              lastAt: t.clock.now().toISOString(),
            },
          ],
        },
      });
    const lastUsed = async () =>
      (await t.app.inject({ method: 'GET', url: `${p.base}/api-keys`, headers: t.auth(p.owner.token) }))
        .json()
        .items.find((k: { id: string }) => k.id === key.id).lastUsedAt;

    const viewer = await addMember(t, p.owner.token, p.orgId, 'viewer');
    const readOnly = await createKey(t, p.owner.token, p.orgId, { scopes: ['api_keys:read'] });
    for (const token of [viewer.token, readOnly.token]) {
      const denied = await report(token);
      expect(denied.statusCode, denied.body).toBe(403);
      expect(denied.json().error.message).toContain('logs:write');
    }
    expect(await lastUsed()).toBeNull();

    // What the README tells the app to run with: verification plus usage reports, nothing more.
    const app = await createKey(t, p.owner.token, p.orgId, { scopes: ['api_keys:read', 'logs:write'] });
    expect((await report(app.token)).statusCode).toBe(202);
    expect(await lastUsed()).not.toBeNull();
  });

  it('refuses unknown fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `${p.base}/usage`,
      headers: t.auth(p.owner.token),
      payload: { items: [], token: 'x' },
    });
    expect(res.statusCode).toBe(400);
  });
});
