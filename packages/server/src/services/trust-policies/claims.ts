import { AppError, type ClaimRule } from '@latchkey/core';

/**
 * Claims that name *who* the workload is (a repository, a project, an owner, the subject). A
 * policy without one would trust every workload of the issuer: for a public issuer such as GitHub
 * Actions that is anyone with a free account, so such a policy is refused at creation.
 */
export const SUBJECT_CLAIMS = [
  'sub',
  'repository',
  'repository_id',
  'repository_owner',
  'repository_owner_id',
  'job_workflow_ref',
  'workflow_ref',
  'project_path',
  'project_id',
  'namespace_path',
  'namespace_id',
  'email',
] as const;

/** Checked by the policy itself (issuer, audience) or by the JWT library (times, id): not rules. */
const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
// Printable text only: a control character in a rule is a paste gone wrong, never a claim value.
const CLAIM_VALUE = /^[^\p{Cc}]{1,256}$/u;

function bad(message: string, hint: string, field: string): AppError {
  return new AppError('INVALID_INPUT', message, { hint, details: { field } });
}

/** Validates and normalises the rules (trimmed names; `glob` only when true). */
export function validateClaimRules(rules: ClaimRule[]): ClaimRule[] {
  const seen = new Set<string>();
  const out: ClaimRule[] = [];
  for (const [i, rule] of rules.entries()) {
    const claim = rule.claim.trim();
    const field = `claims[${i}]`;
    if (!CLAIM_NAME.test(claim)) {
      throw bad(
        `Claim rule ${i + 1} names "${claim}", which is not a claim name.`,
        'Use a top-level claim of the token, e.g. --claim repository=acme/api (letters, digits, _ and -).',
        field,
      );
    }
    if (RESERVED.has(claim)) {
      throw bad(
        `Claim "${claim}" cannot be a rule: ${claim === 'iss' || claim === 'aud' ? `it is the policy's --${claim === 'iss' ? 'issuer' : 'audience'}` : 'token times and ids are checked on every exchange'}.`,
        'Set --issuer and --audience for iss and aud; rules are for claims such as repository, ref or sub.',
        field,
      );
    }
    if (seen.has(claim)) {
      throw bad(
        `Claim "${claim}" has more than one rule.`,
        'Give each claim one rule; a glob (--claim-glob) covers several values.',
        field,
      );
    }
    seen.add(claim);
    if (!CLAIM_VALUE.test(rule.value) || rule.value.trim() !== rule.value) {
      throw bad(
        `Claim rule "${claim}" needs a value of 1 to 256 printable characters without surrounding spaces.`,
        `Example: --claim ${claim}=acme/api`,
        field,
      );
    }
    if (rule.glob) {
      if (!/[*?]/.test(rule.value)) {
        throw bad(
          `The glob for "${claim}" has no wildcard.`,
          `Use an exact rule (--claim ${claim}=${rule.value}), or add * to the pattern.`,
          field,
        );
      }
      if (/^[*?/]*$/.test(rule.value)) {
        throw bad(
          `The glob for "${claim}" matches everything.`,
          'Drop the rule, or give the pattern some fixed text, e.g. refs/heads/release/*.',
          field,
        );
      }
    }
    out.push(rule.glob ? { claim, value: rule.value, glob: true } : { claim, value: rule.value });
  }
  return out;
}

/**
 * Does one rule pin the workload's identity? An exact rule on a subject-like claim does; so does
 * a glob whose fixed text before the first wildcard includes a `/` (it names at least an owner:
 * `acme/*`, `repo:acme/*`), while `repo:*` or `*-bot` would admit anyone.
 */
export function pinsSubject(rule: ClaimRule): boolean {
  if (!(SUBJECT_CLAIMS as readonly string[]).includes(rule.claim)) return false;
  if (!rule.glob) return true;
  const fixed = rule.value.split(/[*?]/, 1)[0] ?? '';
  return fixed.includes('/') && !fixed.startsWith('/');
}

export function requireSubjectCondition(rules: ClaimRule[]): void {
  if (rules.some(pinsSubject)) return;
  throw new AppError(
    'INVALID_INPUT',
    'A trust policy needs a condition on who the workload is: without one it would trust every workload the issuer signs for (for GitHub Actions, any repository on GitHub).',
    {
      hint: `Add an exact rule on one of ${SUBJECT_CLAIMS.join(', ')}, e.g. --claim repository=acme/api (a glob counts only when it names an owner, e.g. --claim-glob sub=repo:acme/*).`,
      details: { field: 'claims' },
    },
  );
}

type GlobToken = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'star' } | { kind: 'globstar' };

function tokens(pattern: string): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      out.push({ kind: 'globstar' });
      while (pattern[i + 1] === '*') i++;
    } else if (c === '*') out.push({ kind: 'star' });
    else if (c === '?') out.push({ kind: 'one' });
    else out.push({ kind: 'char', c });
  }
  return out;
}

/** Claim values longer than this never match a glob (tokens are attacker-supplied text). */
const MAX_GLOB_SUBJECT = 2048;

/**
 * `*` within one `/` segment, `**` across segments, `?` one character other than `/`. Matched by
 * dynamic programming in O(pattern × value) rather than a backtracking RegExp, whose worst case on
 * a pattern with several stars and a long, hostile claim value is exponential.
 */
export function globMatch(pattern: string, value: string): boolean {
  if (value.length > MAX_GLOB_SUBJECT) return false;
  const toks = tokens(pattern);
  // prev[j]: the first i characters of value match the first j tokens.
  let prev = new Array<boolean>(toks.length + 1).fill(false);
  prev[0] = true;
  for (let j = 1; j <= toks.length; j++) {
    const k = toks[j - 1]!.kind;
    prev[j] = prev[j - 1]! && (k === 'star' || k === 'globstar');
  }
  for (let i = 1; i <= value.length; i++) {
    const ch = value[i - 1]!;
    const next = new Array<boolean>(toks.length + 1).fill(false);
    for (let j = 1; j <= toks.length; j++) {
      const t = toks[j - 1]!;
      if (t.kind === 'char') next[j] = prev[j - 1]! && t.c === ch;
      else if (t.kind === 'one') next[j] = prev[j - 1]! && ch !== '/';
      else if (t.kind === 'globstar') next[j] = next[j - 1]! || prev[j]!;
      else next[j] = next[j - 1]! || (prev[j]! && ch !== '/');
    }
    prev = next;
  }
  return prev[toks.length]!;
}

/** A claim's value as text for comparison: strings as they are, numbers and booleans printed. */
export function claimText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

export function ruleMatches(rule: ClaimRule, value: unknown): boolean {
  const values = Array.isArray(value) ? value.map(claimText) : [claimText(value)];
  return values.some((v) => v !== null && (rule.glob ? globMatch(rule.value, v) : v === rule.value));
}

/** What a claim is shown as in a test answer (arrays joined, objects not shown). */
export function shownClaim(value: unknown): string | null {
  if (Array.isArray(value)) {
    const parts = value.map(claimText).filter((v): v is string => v !== null);
    return parts.length ? parts.join(', ') : null;
  }
  return claimText(value);
}
