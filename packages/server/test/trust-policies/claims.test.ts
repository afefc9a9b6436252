import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch, pinsSubject, ruleMatches } from '../../src/services/trust-policies/claims.js';

describe('claim rules', () => {
  it('globs: * within a segment, ** across, ? one character', () => {
    expect(globMatch('refs/heads/release/*', 'refs/heads/release/v2')).toBe(true);
    expect(globMatch('refs/heads/release/*', 'refs/heads/release/v2/x')).toBe(false);
    expect(globMatch('refs/heads/release/**', 'refs/heads/release/v2/x')).toBe(true);
    expect(globMatch('refs/heads/release/*', 'refs/heads/release/')).toBe(true);
    expect(globMatch('repo:acme/*:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main')).toBe(true);
    expect(globMatch('repo:acme/*:ref:refs/heads/main', 'repo:evil/api:ref:refs/heads/main')).toBe(false);
    expect(globMatch('v?', 'v1')).toBe(true);
    expect(globMatch('v?', 'v/')).toBe(false);
    expect(globMatch('a.b', 'aXb')).toBe(false);
  });

  it('a hostile claim value against a many-star pattern is answered at once', () => {
    const pattern = `${'a**'.repeat(20)}b`;
    expect(globMatch(pattern, 'a'.repeat(2000))).toBe(false);
  });

  it('agrees with a reference RegExp on short inputs', () => {
    const toRe = (p: string) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '\u{1F31F}')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\u{1F31F}/gu, '.*')}$`,
        's',
      );
    const piece = fc.constantFrom('a', 'b', '/', '*', '**', '?', '.');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.stringMatching(/^[ab/.]{0,10}$/), (parts, value) => {
        const pattern = parts.join('');
        expect(globMatch(pattern, value)).toBe(toRe(pattern).test(value));
      }),
    );
  });

  it('exact rules compare text; arrays match on any element', () => {
    expect(ruleMatches({ claim: 'repository_id', value: '42' }, 42)).toBe(true);
    expect(ruleMatches({ claim: 'groups', value: 'ops' }, ['dev', 'ops'])).toBe(true);
    expect(ruleMatches({ claim: 'repository', value: 'acme/api' }, { nested: 'acme/api' })).toBe(false);
    expect(ruleMatches({ claim: 'repository', value: 'acme/api' }, undefined)).toBe(false);
  });

  it('subject conditions: exact on a subject-like claim, or a glob that names an owner', () => {
    expect(pinsSubject({ claim: 'repository', value: 'acme/api' })).toBe(true);
    expect(pinsSubject({ claim: 'ref', value: 'refs/heads/main' })).toBe(false);
    expect(pinsSubject({ claim: 'sub', value: 'repo:acme/*', glob: true })).toBe(true);
    expect(pinsSubject({ claim: 'sub', value: 'repo:*', glob: true })).toBe(false);
    expect(pinsSubject({ claim: 'repository', value: '*/api', glob: true })).toBe(false);
  });
});
