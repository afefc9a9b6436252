import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/services/audit/chain-encoding.js';
import { canonicalJsonBytes } from '../../src/services/audit/chain-fast.js';
import { useTestDatabase } from '../helpers/db.js';

const t = useTestDatabase();

/** What the verifier's fast path writes for a JSON text, against the reference the append uses. */
function both(text: string): { fast: string; reference: string } {
  return {
    fast: canonicalJsonBytes(Buffer.from(text, 'utf8')).toString('utf8'),
    reference: canonicalJson(JSON.parse(text)),
  };
}

/** Values as jsonb stores and prints them: each goes through PostgreSQL and back as text. */
async function throughJsonb(texts: string[]): Promise<string[]> {
  const res = await t.database.pool.query<{ t: string }>(
    'SELECT x::jsonb::text AS t FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n',
    [texts],
  );
  return res.rows.map((r) => r.t);
}

// Keys where UTF-16 order and code-point (byte) order differ, escapes, and look-alikes.
const awkwardKey = fc.constantFrom(
  '',
  'a',
  'A',
  'é',
  '\uffff',
  '\u{10000}',
  '😀',
  '\ue000',
  'a"b',
  'a\\b',
  '\n',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u2028',
  '10',
  '9',
  '__proto__',
  'constructor',
);
const key = fc.oneof(fc.string({ unit: 'binary' }), awkwardKey);
const str = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), awkwardKey);
const num = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e21, 1e-7, 123456789012345, 1234567890123456, 2 ** 53 + 2, 0.1, 5e-324),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    num,
    str,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  ),
}));
const noNul = (v: unknown) => !JSON.stringify(v).includes('\\u0000');

describe('the verifier fast path encodes data exactly as the append does', () => {
  it('over jsonb-like values read back from PostgreSQL (unicode, escapes, numbers, nested key order)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value.filter(noNul), { minLength: 1, maxLength: 40 }), async (values) => {
        const stored = await throughJsonb(values.map((v) => JSON.stringify(v)));
        for (const text of stored) {
          const { fast, reference } = both(text);
          expect(fast).toBe(reference);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('over the same values as JSON.stringify writes them, with or without spacing', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(undefined, 1, '\t'), (v, space) => {
        const { fast, reference } = both(JSON.stringify(v, null, space));
        expect(fast).toBe(reference);
      }),
      { numRuns: 500 },
    );
  });

  it('numbers PostgreSQL keeps as written are re-encoded the way JSON.parse reads them', async () => {
    const written = [
      '1.50',
      '1e400',
      '-0',
      '0.0000001',
      '1E+2',
      '12345678901234567890',
      '-1.0e-3',
      '100',
      '0',
    ];
    const stored = await throughJsonb(written.map((n) => `{"n": ${n}, "a": [${n}]}`));
    for (const text of stored) {
      const { fast, reference } = both(text);
      expect(fast).toBe(reference);
    }
    // And as any JSON text may write them (jsonb never prints these).
    for (const text of ['[-0, 0, -0.0, 1.0, 1e5, 0e0, -12]', '{"z": -0, "y": 2E-8}']) {
      const { fast, reference } = both(text);
      expect(fast, text).toBe(reference);
    }
  });

  it('refuses text that is not JSON, or has a key twice, so the reference path decides', () => {
    for (const bad of ['{"a":1', '{"a" 1}', '[1,]', '{"a":1,"a":2}', '{"b":1,"a":2,"b":3}', '1 2', '"x']) {
      expect(() => canonicalJsonBytes(Buffer.from(bad)), bad).toThrow();
    }
  });
});
