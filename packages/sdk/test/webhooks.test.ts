import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyGithubWebhook, verifyStandardWebhook, verifyStripeWebhook } from '../src/index.js';

// Every expected signature below is computed here with node:crypto from each scheme's own
// definition (or taken from the provider's documentation), never with the code under test.
const body = '{"id":"evt_1","amount":4200,"note":"ünïcode"}';

describe('GitHub x-hub-signature-256', () => {
  const sign = (secret: string, payload: string) =>
    `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;

  it("matches GitHub's documented example", () => {
    const req = {
      rawBody: Buffer.from('Hello, World!'),
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
    };
    expect(verifyGithubWebhook(req, "It's a Secret to Everybody")).toEqual({ valid: true });
  });

  it('accepts a good signature and refuses a bad, missing or malformed one', () => {
    const ok = { rawBody: Buffer.from(body), headers: { 'x-hub-signature-256': sign('s3cret', body) } };
    expect(verifyGithubWebhook(ok, 's3cret').valid).toBe(true);
    expect(verifyGithubWebhook(ok, 'other')).toEqual({ valid: false, reason: 'bad_signature' });
    expect(verifyGithubWebhook({ ...ok, rawBody: Buffer.from(`${body} `) }, 's3cret').valid).toBe(false);
    expect(verifyGithubWebhook({ rawBody: body, headers: {} }, 's3cret')).toEqual({
      valid: false,
      reason: 'missing_signature',
    });
    expect(
      verifyGithubWebhook({ rawBody: body, headers: { 'x-hub-signature-256': 'sha1=abc' } }, 's3cret').valid,
    ).toBe(false);
  });
});

describe('Stripe stripe-signature', () => {
  const secret = 'whsec_test_secret';
  const sign = (t: number, payload: string, key = secret) =>
    createHmac('sha256', key).update(`${t}.${payload}`).digest('hex');
  const req = (value: string) => ({ rawBody: Buffer.from(body), headers: { 'stripe-signature': value } });

  it('accepts a signature within the tolerance, any of several v1 values', () => {
    const t = 1_700_000_000;
    expect(verifyStripeWebhook(req(`t=${t},v1=${sign(t, body)}`), secret, { now: t + 10 })).toEqual({
      valid: true,
      timestamp: t,
    });
    const rolled = `t=${t},v1=${sign(t, body, 'old')},v1=${sign(t, body)},v0=deadbeef`;
    expect(verifyStripeWebhook(req(rolled), secret, { now: t }).valid).toBe(true);
  });

  it('refuses a replay outside the tolerance, a wrong secret and a malformed header', () => {
    const t = 1_700_000_000;
    expect(verifyStripeWebhook(req(`t=${t},v1=${sign(t, body)}`), secret, { now: t + 301 })).toEqual({
      valid: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(
      verifyStripeWebhook(req(`t=${t},v1=${sign(t, body)}`), secret, { now: t + 301, toleranceSeconds: 600 })
        .valid,
    ).toBe(true);
    expect(verifyStripeWebhook(req(`t=${t},v1=${sign(t, body, 'nope')}`), secret, { now: t }).valid).toBe(
      false,
    );
    // The signature covers the timestamp: moving it breaks the signature.
    expect(verifyStripeWebhook(req(`t=${t + 1},v1=${sign(t, body)}`), secret, { now: t }).valid).toBe(false);
    expect(verifyStripeWebhook(req('v1=abc'), secret).valid).toBe(false);
  });
});

describe('Standard Webhooks', () => {
  it('matches the specification’s example', () => {
    const check = verifyStandardWebhook(
      {
        rawBody: '{"test": 2432232314}',
        headers: {
          'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
          'webhook-timestamp': '1614265330',
          'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        },
      },
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      { now: 1614265330 },
    );
    expect(check).toEqual({ valid: true, timestamp: 1614265330 });
  });

  it('accepts one of several signatures, refuses stale and tampered messages', () => {
    const key = Buffer.from('a-32-byte-secret-for-the-tests!!');
    const secret = `whsec_${key.toString('base64')}`;
    const ts = 1_700_000_000;
    const sig = createHmac('sha256', key).update(`msg_1.${ts}.${body}`).digest('base64');
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1,bm9wZQ== v1,${sig}`,
    };
    expect(verifyStandardWebhook({ rawBody: body, headers }, secret, { now: ts }).valid).toBe(true);
    expect(verifyStandardWebhook({ rawBody: body, headers }, secret, { now: ts + 1000 })).toEqual({
      valid: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(
      verifyStandardWebhook({ rawBody: body, headers: { ...headers, 'webhook-id': 'msg_2' } }, secret, {
        now: ts,
      }).valid,
    ).toBe(false);
    expect(verifyStandardWebhook({ rawBody: body, headers: {} }, secret).valid).toBe(false);
  });
});
