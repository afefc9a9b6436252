import { ENVIRONMENT_NAME_RE } from '../names.js';
import { SECRET_NAME_MAX_LENGTH, SECRET_NAME_RE, SECRET_VALUE_MAX_BYTES, utf8Length } from './rules.js';

/**
 * Secret references (issue 15 item 3): a value may embed another secret of the same project.
 * `${NAME}` is NAME in the environment the value lives in, `${staging.NAME}` is NAME in the
 * project's staging environment, and `$${` is a literal `${`. There is no syntax for another
 * project: the project is the boundary. Pure: the server resolves with values it has loaded.
 */
export type SecretReference = { environment: string | null; name: string };
export type ValuePart = string | SecretReference;

export type ParsedValue =
  | { ok: true; parts: ValuePart[]; references: SecretReference[] }
  | { ok: false; error: string };

const ENV = ENVIRONMENT_NAME_RE.source.slice(1, -1);
const NAME = SECRET_NAME_RE.source.slice(1, -1);
// Sticky, so it matches exactly at the `${` being read.
const REFERENCE_RE = new RegExp(`\\$\\{(?:(${ENV})\\.)?(${NAME})\\}`, 'y');

/**
 * The parts of `value`: literal text and references, in order. An unescaped `${` that is not a
 * well-formed reference is an error (a typo must not ship as literal text); the error gives the
 * position only, never the text around it, because that text is part of a secret value.
 */
export function parseReferences(value: string): ParsedValue {
  const parts: ValuePart[] = [];
  const references: SecretReference[] = [];
  let text = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      text += '${';
      i += 3;
      continue;
    }
    if (value.startsWith('${', i)) {
      REFERENCE_RE.lastIndex = i;
      const m = REFERENCE_RE.exec(value);
      if (!m || m[2]!.length > SECRET_NAME_MAX_LENGTH) {
        return {
          ok: false,
          error: `the \${ at character ${i + 1} does not start a reference: write \${NAME} or \${environment.NAME} (NAME in UPPER_SNAKE_CASE), or $\${ for a literal \${`,
        };
      }
      if (text) parts.push(text);
      text = '';
      const ref = { environment: m[1] ?? null, name: m[2]! };
      parts.push(ref);
      references.push(ref);
      i += m[0].length;
      continue;
    }
    text += value[i];
    i += 1;
  }
  if (text) parts.push(text);
  return { ok: true, parts, references };
}

/** The value that reads back as `literal`: every `${` becomes `$${`. */
export function escapeReferences(literal: string): string {
  // A function, not a replacement string: in one of those `$$` would mean a single `$`.
  return literal.replaceAll('${', () => '$${');
}

/**
 * What a value without references reads as: its `$${` escapes become `${`. A value that holds
 * references (or a malformed `${`) is returned unchanged: those are resolved, not read literally.
 */
export function literalValue(value: string): string {
  if (!value.includes('$${')) return value;
  const parsed = parseReferences(value);
  return parsed.ok && parsed.references.length === 0 ? parsed.parts.join('') : value;
}

/** Does the value hold at least one reference (a cheap test before resolving)? */
export function hasReferences(value: string): boolean {
  const parsed = parseReferences(value);
  return !parsed.ok || parsed.references.length > 0;
}

/** A secret anywhere in the project: `production.API_KEY`. Environment and secret names hold no dot. */
export type SecretKey = `${string}.${string}`;
export const secretKey = (environment: string, name: string): SecretKey => `${environment}.${name}`;

export function splitSecretKey(key: SecretKey): { environment: string; name: string } {
  const dot = key.indexOf('.');
  return { environment: key.slice(0, dot), name: key.slice(dot + 1) };
}

/** How a key reads to someone working in `home`: `NAME` there, `env.NAME` elsewhere. */
export function showSecretKey(key: SecretKey, home: string): string {
  const { environment, name } = splitSecretKey(key);
  return environment === home ? name : key;
}

/** What a look-up finds: the stored value, nothing, or a secret the resolving actor may not read. */
export type Lookup = { value: string } | 'missing' | 'forbidden';

export type ReferenceProblem =
  /** `chain` starts and ends with the same key: A → B → A. */
  | { kind: 'cycle'; chain: SecretKey[] }
  /** The last key of `chain` is not set (or its environment does not exist). */
  | { kind: 'missing'; chain: SecretKey[] }
  /** The last key of `chain` is one the actor may not read. */
  | { kind: 'forbidden'; chain: SecretKey[] }
  /** The last key of `chain` holds a malformed `${`, or resolves to more than 64 KiB. */
  | { kind: 'invalid'; chain: SecretKey[]; message: string };

export type Resolution =
  | {
      ok: true;
      /** Each root's value with every reference replaced. */
      values: Map<SecretKey, string>;
      /** Each root's references, direct and indirect, sorted; empty for a plain value. */
      dependsOn: Map<SecretKey, SecretKey[]>;
    }
  | { ok: false; problem: ReferenceProblem };

class Refused extends Error {
  constructor(readonly problem: ReferenceProblem) {
    super(problem.kind);
  }
}

/**
 * Resolves `roots` through `lookup`. A reference without an environment means the environment of
 * the value that holds it. Each key is resolved once (so a diamond costs no more than a chain),
 * and the first problem met is returned with the chain of keys that led to it.
 */
export function resolveReferences(
  roots: readonly SecretKey[],
  lookup: (key: SecretKey) => Lookup,
  /** Checked on every reference (not on the roots): may the resolving actor read `key`? */
  mayRead: (key: SecretKey) => boolean = () => true,
): Resolution {
  const done = new Map<SecretKey, { value: string; deps: Set<SecretKey> }>();
  const path: SecretKey[] = [];
  const onPath = new Set<SecretKey>();

  function visit(key: SecretKey): { value: string; deps: Set<SecretKey> } {
    const known = done.get(key);
    if (known) return known;
    if (onPath.has(key)) throw new Refused({ kind: 'cycle', chain: [...path.slice(path.indexOf(key)), key] });
    const found = lookup(key);
    if (found === 'missing' || found === 'forbidden')
      throw new Refused({ kind: found, chain: [...path, key] });
    const parsed = parseReferences(found.value);
    if (!parsed.ok) throw new Refused({ kind: 'invalid', chain: [...path, key], message: parsed.error });
    const { environment: home } = splitSecretKey(key);
    path.push(key);
    onPath.add(key);
    let value = '';
    const deps = new Set<SecretKey>();
    for (const part of parsed.parts) {
      if (typeof part === 'string') {
        value += part;
        continue;
      }
      const ref = secretKey(part.environment ?? home, part.name);
      if (!mayRead(ref)) throw new Refused({ kind: 'forbidden', chain: [...path, ref] });
      const inner = visit(ref);
      value += inner.value;
      deps.add(ref);
      for (const d of inner.deps) deps.add(d);
      // Checked as it grows: A = ${B}${B}, B = ${C}${C}, … would otherwise double per level.
      if (value.length > SECRET_VALUE_MAX_BYTES || utf8Length(value) > SECRET_VALUE_MAX_BYTES) {
        throw new Refused({
          kind: 'invalid',
          chain: [...path],
          message: `its value with references replaced is over 64 KiB (${SECRET_VALUE_MAX_BYTES} bytes)`,
        });
      }
    }
    path.pop();
    onPath.delete(key);
    const out = { value, deps };
    done.set(key, out);
    return out;
  }

  try {
    const values = new Map<SecretKey, string>();
    const dependsOn = new Map<SecretKey, SecretKey[]>();
    for (const root of roots) {
      const r = visit(root);
      values.set(root, r.value);
      dependsOn.set(root, [...r.deps].sort());
    }
    return { ok: true, values, dependsOn };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** `A → staging.B → A`, with keys of `home` shown by name only. */
export function describeChain(chain: readonly SecretKey[], home: string): string {
  return chain.map((k) => showSecretKey(k, home)).join(' → ');
}
