import { createHmac } from 'node:crypto';
import type { ManifestInput } from '@latchkey/core';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createFetchHandler, ManifestMountError, ok, secret } from '../src/index.js';

// The signatures below come from the senders' own libraries (stripe, standardwebhooks) or, for
// GitHub, from its definition with node:crypto: never from the code under test.
const manifest: ManifestInput = {
  project: 'acme',
  routes: [
    {
      prefix: '/hooks',
      auth: 'none',
      routes: {
        'POST /github': {
          handler: 'github',
          verify: { scheme: 'github', secret: secret('GITHUB_WEBHOOK_SECRET') },
        },
        'POST /stripe': {
          handler: 'stripe',
          verify: { scheme: 'stripe', secret: secret('STRIPE_WEBHOOK_SECRET') },
        },
        'POST /std': { handler: 'std', verify: { scheme: 'standard', secret: secret('STD_WEBHOOK_SECRET') } },
        'POST /open': 'open',
      },
    },
  ],
};
const body = JSON.stringify({ id: 'evt_1', amount: 4200, note: 'ünïcode' });
const STD_SECRET = `whsec_${Buffer.from('a standard webhooks key of 32 b!').toString('base64')}`;

function app(secrets: Record<string, string | undefined> | ((name: string) => string | undefined)) {
  const ran: string[] = [];
  const errors: string[] = [];
  const mark = (name: string) => {
    ran.push(name);
    return ok();
  };
  const handler = createFetchHandler(manifest, {
    handlers: {
      github: (req) => {
        ran.push('github');
        return ok({ got: req.body<{ id: string }>().id });
      },
      stripe: () => mark('stripe'),
      std: () => mark('std'),
      open: () => mark('open'),
    },
    secrets,
    onError: (err) => errors.push((err as Error).message),
  });
  const post = (path: string, headers: Record<string, string>, payload = body) =>
    handler(
      new Request(`http://app${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      }),
    );
  return { post, ran, errors };
}
const github = (key: string, payload = body) =>
  `sha256=${createHmac('sha256', key).update(payload).digest('hex')}`;

describe('mountRoutes verifies a none route declared with verify before its handler runs', () => {
  const secrets = {
    GITHUB_WEBHOOK_SECRET: 'gh-secret-1',
    STRIPE_WEBHOOK_SECRET: 'whsec_stripe_test_1',
    STD_WEBHOOK_SECRET: STD_SECRET,
  };

  it('GitHub: a signed request reaches the handler; a bad, missing or other-secret signature is 401', async () => {
    const { post, ran } = app(secrets);
    const good = await post('/hooks/github', { 'x-hub-signature-256': github('gh-secret-1') });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ got: 'evt_1' });
    for (const headers of [
      {} as Record<string, string>,
      { 'x-hub-signature-256': github('another-secret') },
      { 'x-hub-signature-256': github('gh-secret-1', `${body} `) },
      { 'x-hub-signature-256': 'sha256=zz' },
    ]) {
      const res = await post('/hooks/github', headers);
      expect(res.status).toBe(401);
      const answer = (await res.json()) as { error: { code: string; message: string; hint: string } };
      expect(answer.error.code).toBe('UNAUTHENTICATED');
      expect(answer.error.hint).toContain('X-Hub-Signature-256');
      expect(JSON.stringify(answer)).not.toContain('gh-secret-1');
    }
    expect(ran).toEqual(['github']);
  });

  it("Stripe: stripe's own test header passes; a stale timestamp, another secret or a changed body is 401", async () => {
    const stripe = new Stripe('sk_test_not_used');
    const { post, ran } = app(secrets);
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_stripe_test_1' });
    expect((await post('/hooks/stripe', { 'stripe-signature': header })).status).toBe(200);
    const stale = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_stripe_test_1',
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    const other = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_other' });
    expect((await post('/hooks/stripe', { 'stripe-signature': stale })).status).toBe(401);
    expect((await post('/hooks/stripe', { 'stripe-signature': other })).status).toBe(401);
    expect((await post('/hooks/stripe', { 'stripe-signature': header }, `${body}x`)).status).toBe(401);
    expect(ran).toEqual(['stripe']);
  });

  it("Standard Webhooks: the standardwebhooks library's signature passes; tampering is 401", async () => {
    const signer = new Webhook(STD_SECRET);
    const { post, ran } = app(secrets);
    const now = new Date();
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)) };
    const signature = signer.sign('msg_1', now, body);
    expect((await post('/hooks/std', { ...headers, 'webhook-signature': signature })).status).toBe(200);
    expect(
      (await post('/hooks/std', { ...headers, 'webhook-id': 'msg_2', 'webhook-signature': signature }))
        .status,
    ).toBe(401);
    const old = new Date(now.getTime() - 10 * 60_000);
    const oldHeaders = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
    };
    expect(
      (await post('/hooks/std', { ...oldHeaders, 'webhook-signature': signer.sign('msg_1', old, body) }))
        .status,
    ).toBe(401);
    expect(ran).toEqual(['std']);
  });

  it('reads the secret per request: a getter that returns the rotated value accepts only the new one', async () => {
    let current = 'gh-secret-1';
    const { post } = app((name) => (name === 'GITHUB_WEBHOOK_SECRET' ? current : undefined));
    expect((await post('/hooks/github', { 'x-hub-signature-256': github('gh-secret-1') })).status).toBe(200);
    current = 'gh-secret-2';
    expect((await post('/hooks/github', { 'x-hub-signature-256': github('gh-secret-1') })).status).toBe(401);
    expect((await post('/hooks/github', { 'x-hub-signature-256': github('gh-secret-2') })).status).toBe(200);
  });

  it('a secret the app was not given answers 500 (never a pass) and says so through onError', async () => {
    const { post, ran, errors } = app({});
    const res = await post('/hooks/github', { 'x-hub-signature-256': github('') });
    expect(res.status).toBe(500);
    expect(ran).toEqual([]);
    expect(errors[0]).toContain('GITHUB_WEBHOOK_SECRET');
    expect((await post('/hooks/open', {})).status).toBe(200);
  });

  it('start-up: verify needs `secrets`, is only for none routes, and names a valid scheme and secret', () => {
    const handlers = { github: () => ok(), stripe: () => ok(), std: () => ok(), open: () => ok() };
    expect(() => createFetchHandler(manifest, { handlers })).toThrow(ManifestMountError);
    expect(() => createFetchHandler(manifest, { handlers })).toThrow(/GITHUB_WEBHOOK_SECRET.*pass `secrets`/);
    const onKeyRoute = {
      project: 'acme',
      apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } },
      routes: [
        {
          prefix: '/v1',
          auth: 'apiKey:read',
          routes: { 'POST /x': { handler: 'x', verify: { scheme: 'github', secret: secret('X_SECRET') } } },
        },
      ],
    } as ManifestInput;
    expect(() => createFetchHandler(onKeyRoute, { handlers: { x: () => ok() }, secrets: {} })).toThrow(
      /verify is for auth "none" routes/,
    );
    const badScheme = {
      project: 'acme',
      routes: [
        {
          prefix: '/h',
          auth: 'none',
          routes: {
            'POST /x': { handler: 'x', verify: { scheme: 'gitlab', secret: { $secret: 'X_SECRET' } } },
          },
        },
      ],
    } as unknown as ManifestInput;
    expect(() => createFetchHandler(badScheme, { handlers: { x: () => ok() }, secrets: {} })).toThrow(
      /scheme/,
    );
    expect(() => secret('github-secret')).toThrow(/UPPER_SNAKE_CASE/);
  });
});
