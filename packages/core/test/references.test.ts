import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeChain,
  escapeReferences,
  type Lookup,
  literalValue,
  parseReferences,
  resolveReferences,
  type SecretKey,
} from '../src/index.js';

const table =
  (values: Record<string, string>, forbidden: string[] = []) =>
  (key: SecretKey): Lookup =>
    forbidden.includes(key) ? 'forbidden' : key in values ? { value: values[key]! } : 'missing';

describe('parsing references', () => {
  it('finds ${NAME} and ${env.NAME}, keeps the text between them, and reads $${ as a literal', () => {
    const parsed = parseReferences('postgres://u:${DB_PASS}@${staging.DB_HOST}/x $${NOT_A_REF} $5');
    expect(parsed).toEqual({
      ok: true,
      parts: [
        'postgres://u:',
        { environment: null, name: 'DB_PASS' },
        '@',
        { environment: 'staging', name: 'DB_HOST' },
        '/x ${NOT_A_REF} $5',
      ],
      references: [
        { environment: null, name: 'DB_PASS' },
        { environment: 'staging', name: 'DB_HOST' },
      ],
    });
    expect(parseReferences('plain $HOME {x} $')).toEqual({
      ok: true,
      parts: ['plain $HOME {x} $'],
      references: [],
    });
    expect(parseReferences('')).toEqual({ ok: true, parts: [], references: [] });
  });

  it('refuses a ${ that is not a reference, by position, without quoting the value', () => {
    for (const bad of [
      '${lower}',
      '${A',
      '${}',
      '${Staging.A}',
      '${a.b.C}',
      'x${A B}',
      '${1A}',
      '${proj/env.A}',
    ]) {
      const parsed = parseReferences(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error).toMatch(/at character \d+ does not start a reference/);
        expect(parsed.error).toContain('$${ for a literal');
        expect(parsed.error).not.toContain(bad);
      }
    }
    expect(parseReferences('ok ${').ok).toBe(false);
    const tooLong = parseReferences(`\${${'A'.repeat(257)}}`);
    expect(tooLong.ok).toBe(false);
  });

  it('escaping any text reads back as that text, with no references (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '{', '}', 'A', 'a', '.', ' ', 'é') }), (s) => {
        const parsed = parseReferences(escapeReferences(s));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) {
          expect(parsed.references).toEqual([]);
          expect(parsed.parts.join('')).toBe(s);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a value without references reads literally: escaping then literalValue is the identity (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '{', '}', 'A', '.', ' ') }), (s) => {
        expect(literalValue(escapeReferences(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
    expect(literalValue('a ${B} $${C}')).toBe('a ${B} $${C}');
  });
});

describe('resolving references', () => {
  it('replaces references, relative to the environment of the value that holds them', () => {
    const r = resolveReferences(
      ['production.URL', 'production.PLAIN'],
      table({
        'production.URL': 'https://${staging.HOST}/?k=${KEY}',
        'production.KEY': 'k-$${lit}',
        'production.PLAIN': 'plain',
        // Inside a staging value, ${SUFFIX} is staging's SUFFIX.
        'staging.HOST': 'api.${SUFFIX}',
        'staging.SUFFIX': 'example.com',
        'production.SUFFIX': 'wrong.example',
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values.get('production.URL')).toBe('https://api.example.com/?k=k-${lit}');
    expect(r.values.get('production.PLAIN')).toBe('plain');
    expect(r.dependsOn.get('production.URL')).toEqual(['production.KEY', 'staging.HOST', 'staging.SUFFIX']);
    expect(r.dependsOn.get('production.PLAIN')).toEqual([]);
  });

  it('names the whole chain of a cycle, a missing name and a forbidden one', () => {
    const cycle = resolveReferences(['p.A'], table({ 'p.A': 'x-${B}', 'p.B': '${s.C}', 's.C': '${p.A}' }));
    expect(cycle).toEqual({ ok: false, problem: { kind: 'cycle', chain: ['p.A', 'p.B', 's.C', 'p.A'] } });
    if (!cycle.ok) expect(describeChain(cycle.problem.chain, 'p')).toBe('A → B → s.C → A');
    const self = resolveReferences(['p.A'], table({ 'p.A': '${A}' }));
    expect(self).toEqual({ ok: false, problem: { kind: 'cycle', chain: ['p.A', 'p.A'] } });
    // A cycle below the root is named from where it closes.
    const below = resolveReferences(['p.A'], table({ 'p.A': '${B}', 'p.B': '${C}', 'p.C': '${B}' }));
    expect(below).toEqual({ ok: false, problem: { kind: 'cycle', chain: ['p.B', 'p.C', 'p.B'] } });
    const missing = resolveReferences(['p.A'], table({ 'p.A': '${B}', 'p.B': '${NOPE}' }));
    expect(missing).toEqual({ ok: false, problem: { kind: 'missing', chain: ['p.A', 'p.B', 'p.NOPE'] } });
    const forbidden = resolveReferences(['p.A'], table({ 'p.A': '${s.B}', 's.B': 'b' }, ['s.B']));
    expect(forbidden).toEqual({ ok: false, problem: { kind: 'forbidden', chain: ['p.A', 's.B'] } });
    // mayRead guards every reference, even to a key that is itself a root (roots need no read).
    const unreadable = resolveReferences(['p.B', 'p.A'], table({ 'p.A': '${B}', 'p.B': 'b' }), () => false);
    expect(unreadable).toEqual({ ok: false, problem: { kind: 'forbidden', chain: ['p.A', 'p.B'] } });
    const plain = resolveReferences(['p.B'], table({ 'p.B': 'b' }), () => false);
    expect(plain.ok).toBe(true);
    const invalid = resolveReferences(['p.A'], table({ 'p.A': '${B}', 'p.B': '${bad}' }));
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.problem).toMatchObject({ kind: 'invalid', chain: ['p.A', 'p.B'] });
  });

  it('refuses a value that grows past 64 KiB, and resolves a diamond once', () => {
    const values: Record<string, string> = { 'p.L0': 'x'.repeat(1024) };
    for (let i = 1; i <= 12; i++) values[`p.L${i}`] = `\${L${i - 1}}\${L${i - 1}}`;
    const big = resolveReferences(['p.L12'], table(values));
    expect(big.ok).toBe(false);
    if (!big.ok)
      expect(big.problem).toMatchObject({ kind: 'invalid', message: expect.stringContaining('64 KiB') });
    let lookups = 0;
    const ok = resolveReferences(['p.L6'], (k) => {
      lookups++;
      return table(values)(k);
    });
    expect(ok.ok && ok.values.get('p.L6')!.length).toBe(64 * 1024);
    expect(lookups).toBe(7);
  });

  it('random reference graphs: a cycle is refused exactly when one is reachable, else every reference is replaced (property)', () => {
    const names = ['A', 'B', 'C', 'D', 'E'];
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...names), { maxLength: 3 }), { minLength: 5, maxLength: 5 }),
        (edges) => {
          const values: Record<string, string> = {};
          names.forEach((n, i) => {
            values[`p.${n}`] = `<${n}>${edges[i]!.map((t) => `\${${t}}`).join('-')}`;
          });
          const r = resolveReferences(['p.A'], table(values));
          // Reference semantics by brute force: walk the graph from A looking for a back edge.
          const reach = (from: string, seen: string[]): boolean =>
            edges[names.indexOf(from)]!.some((t) => seen.includes(t) || reach(t, [...seen, t]));
          const cyclic = reach('A', ['A']);
          expect(r.ok).toBe(!cyclic);
          if (r.ok) {
            expect(r.values.get('p.A')).not.toContain('${');
            expect(r.values.get('p.A')!.startsWith('<A>')).toBe(true);
          } else {
            expect(r.problem.kind).toBe('cycle');
            const chain = r.problem.chain;
            expect(chain[0]).toBe(chain.at(-1));
            // Each step of the chain is a real reference.
            for (let i = 0; i + 1 < chain.length; i++) {
              const from = chain[i]!.slice(2);
              expect(edges[names.indexOf(from)]).toContain(chain[i + 1]!.slice(2));
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
