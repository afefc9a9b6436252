import fc from 'fast-check';
import { alternatives, type JsonSchema } from './openapi.js';

const INT4 = 2 ** 31;

/** Values a JSON Schema accepts (as far as its keywords say; refinements it cannot express aside). */
export function valid(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => valid(a, depth + 1)));
  if (schema.allOf?.length) return valid(schema.allOf[0], depth + 1);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -1_000_000, -INT4),
        max: Math.min(schema.maximum ?? 1_000_000, INT4 - 1),
      });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'string':
      return validString(schema);
    case 'array':
      return fc.array(valid(schema.items, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      });
    default:
      return validObject(schema, depth);
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const max = Math.min(schema.maxLength ?? 40, 300);
  const min = schema.minLength ?? 0;
  if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= max);
  if (schema.pattern) {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= min && s.length <= max)
      .map((s) => s);
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, max), unit: 'grapheme' });
}

function validObject(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {};
  const required = schema.required ?? [];
  const known = fc.record(
    Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valid(s, depth + 1)])),
    { requiredKeys: required.filter((k) => k in props) },
  );
  if (typeof schema.additionalProperties === 'object') {
    return fc
      .tuple(
        known,
        fc.dictionary(fc.string({ maxLength: 12 }), valid(schema.additionalProperties, depth + 1), {
          maxKeys: 3,
        }),
      )
      .map(([a, b]) => ({ ...b, ...a }));
  }
  return known;
}

/** Strings no request field may hold, and strings to stress limits with. */
export const hostileString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\udc00\ud800', '😀\u0000'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '../../etc/passwd',
      '%00',
      '{{7*7}}',
      '\u0024{jndi:ldap://x}',
      "'; DROP TABLE users; --",
      '\\',
    ),
  },
  { weight: 1, arbitrary: fc.nat({ max: 100_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
);

export const hostileNumber = fc.constantFrom(
  INT4,
  -INT4 - 1,
  99_999_999_999,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  0.5,
  -1,
  0,
);

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
export const hostileCursor = fc.oneof(
  fc.constantFrom(
    cursorOf(['-271821-04-20T00:00:00.000Z', 'x']),
    cursorOf(['+275760-09-13T00:00:00.000Z', 'x']),
    cursorOf(['2026-01-01T00:00:00.000Z', 'x\u0000']),
    cursorOf(['2026-01-01T00:00:00.000Z', 1]),
    cursorOf([]),
    cursorOf('AAAA'),
    cursorOf(null),
    'not*base64',
    '%00',
  ),
  fc.jsonValue().map(cursorOf),
  fc.string({ maxLength: 260 }),
);

/** Something of another type than `value`. */
export const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.string({ maxLength: 10 }),
);

/** `[[[[…]]]]` or `{"a":{"a":…}}`, `depth` deep. */
export function deepJson(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

export { alternatives };
