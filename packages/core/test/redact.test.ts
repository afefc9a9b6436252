import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateToken, REDACTED, redactTokens, redactTokensDeep } from '../src/index.js';

const pat = generateToken('lk_pat_');
const key = generateToken('lk_key_');
const sa = generateToken('lk_sa_');
const app = generateToken('acme_live_');

describe('redactTokens', () => {
  it('redacts every kind of token wherever it sits, keeping only the prefix', () => {
    const cases: [string, string][] = [
      [pat, `lk_pat_${REDACTED}`],
      [`"${key}" is not a valid secret name`, `"lk_key_${REDACTED}" is not a valid secret name`],
      [`/api/v1/orgs/${sa}/members?x=1`, `/api/v1/orgs/lk_sa_${REDACTED}/members?x=1`],
      [`/x?cursor=${app}&y=${pat}`, `/x?cursor=acme_live_${REDACTED}&y=lk_pat_${REDACTED}`],
      [`scopes: ["secrets:read","${pat}"]`, `scopes: ["secrets:read","lk_pat_${REDACTED}"]`],
      [`${pat}${key}`, `lk_pat_${REDACTED}lk_key_${REDACTED}`],
      [`x${pat}`, `xlk_pat_${REDACTED}`],
      [`a_b_${pat}`, `a_b_lk_pat_${REDACTED}`],
      [`${pat}trailing`, `lk_pat_${REDACTED}trailing`],
    ];
    for (const [input, expected] of cases) expect(redactTokens(input)).toBe(expected);
  });

  it('leaves text without a valid token alone: a wrong checksum, a truncated token, ordinary words', () => {
    const flipped = pat.slice(0, -1) + (pat.endsWith('A') ? 'B' : 'A');
    for (const text of [
      flipped,
      pat.slice(0, -3),
      'DATABASE_URL',
      'lk_pat_',
      'a'.repeat(200),
      `under_score_${'x'.repeat(60)}`,
      '',
    ]) {
      expect(redactTokens(text)).toBe(text);
    }
  });

  it('never lets a generated token through, whatever surrounds it', () => {
    const prefix = fc.constantFrom('lk_pat_', 'lk_key_', 'lk_sa_', 'acme_', 'shop_live_', 'a_');
    fc.assert(
      fc.property(prefix, fc.string(), fc.string(), (p, before, after) => {
        const token = generateToken(p);
        const out = redactTokens(before + token + after);
        expect(out).not.toContain(token.slice(p.length));
      }),
      { numRuns: 300 },
    );
  });

  it('redacts webhook signing secrets (whsec_ and base64), alone or among tokens', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.string(), (bytes, around) => {
        const secret = `whsec_${Buffer.from(bytes).toString('base64')}`;
        const out = redactTokens(`${around}secret=${secret} ${around}`);
        expect(out).toContain(`whsec_${REDACTED}`);
        expect(out).not.toContain(secret.slice(6, 30));
      }),
      { numRuns: 200 },
    );
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(redactTokens(`{"secret":"${secret}","token":"${pat}"}`)).toBe(
      `{"secret":"whsec_${REDACTED}","token":"lk_pat_${REDACTED}"}`,
    );
    // The prefix alone, or too short to be a secret, is left as it is.
    for (const text of ['whsec_', 'whsec_abc', 'whsec_ is the prefix']) expect(redactTokens(text)).toBe(text);
  });

  it('redacts deep values, keys included, and leaves non-plain objects alone', () => {
    const date = new Date(0);
    expect(redactTokensDeep({ a: [pat, 1, null], [key]: { b: `see ${sa}` }, date })).toEqual({
      a: [`lk_pat_${REDACTED}`, 1, null],
      [`lk_key_${REDACTED}`]: { b: `see lk_sa_${REDACTED}` },
      date,
    });
  });
});
