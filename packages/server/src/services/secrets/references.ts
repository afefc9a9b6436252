import {
  AppError,
  can,
  describeChain,
  parseReferences,
  type ReferenceProblem,
  resolveReferences,
  type SecretKey,
  secretKey,
  showSecretKey,
  splitSecretKey,
} from '@latchkey/core';
import type { DbOrTx } from '../../store/db.js';
import type { ResolvedFrom } from '../../store/schema.js';
import { type Actor, deniedHint } from '../actor.js';
import * as environmentsRepo from '../projects/environments.repo.js';
import { decryptValue } from './crypto.js';
import type { Keyring } from './keyring.js';
import * as repo from './secrets.repo.js';
import { isUnset, keyRef, type Place, placeOf, valueContext } from './shared.js';

/** A stored value and the version it came from. */
export type Stored = { value: string; version: number };
/** A value with its references replaced, and what it was resolved from (empty: a plain value). */
export type Resolved = { value: string; from: ResolvedFrom[] };

export type ReferenceResolver = ReturnType<typeof createReferenceResolver>;

/**
 * Resolves `${NAME}` / `${env.NAME}` references against the project's stored values (the newest
 * version of each, as a deploy would pin them). Only values reachable from the roots are loaded
 * and decrypted, and none leaves the server except through the caller's own audited read.
 */
export function createReferenceResolver({ keyring }: { keyring: Keyring }) {
  return async function resolve(
    tx: DbOrTx,
    actor: Actor,
    p: Place,
    roots: Map<string, Stored>,
    /** Says what was being done, for the error: "set API_URL", "deploy acme/production". */
    doing: string,
  ): Promise<Map<string, Resolved>> {
    const home = p.env.name;
    const known = new Map<SecretKey, Stored | null>();
    const places = new Map<string, Place | null>([[home, p]]);
    const keys = new Map<string, Buffer | null>();
    for (const [name, stored] of roots) known.set(secretKey(home, name), stored);
    // Every reference needs secrets:read (the roots themselves do not: pinning is deploy's).
    // Permissions are org-wide today; a per-environment rule would go here, keyed by environment.
    const mayRead = actor.org ? can(actor.org.permissions, 'secrets:read') : false;

    async function placeFor(envName: string): Promise<Place | null> {
      if (places.has(envName)) return places.get(envName)!;
      const env = await environmentsRepo.findByRef(tx, p.project.id, envName);
      // findByRef also takes ids; a reference names an environment, so only a name matches.
      const place = env && env.name === envName && env.orgId === p.env.orgId ? placeOf(p.project, env) : null;
      places.set(envName, place);
      return place;
    }

    async function load(key: SecretKey): Promise<Stored | null> {
      const { environment, name } = splitSecretKey(key);
      const place = await placeFor(environment);
      if (!place) return null;
      const row = await repo.latest(tx, place.env.id, name);
      if (!row || isUnset(row)) return null;
      if (!keys.has(environment)) keys.set(environment, await keyring.find(tx, keyRef(place), place.where));
      const dataKey = keys.get(environment);
      if (!dataKey) return null;
      return {
        value: decryptValue(dataKey, row.ciphertext!, valueContext(place, name, row.version), place.where),
        version: row.version,
      };
    }

    // Walk what the roots reach and load it; the pure resolver then works on what was loaded.
    if (mayRead) {
      const queue = [...known.keys()];
      while (queue.length > 0) {
        const key = queue.pop()!;
        const stored = known.get(key);
        if (!stored) continue;
        const parsed = parseReferences(stored.value);
        if (!parsed.ok) continue;
        for (const ref of parsed.references) {
          const next = secretKey(ref.environment ?? splitSecretKey(key).environment, ref.name);
          if (known.has(next)) continue;
          known.set(next, await load(next));
          queue.push(next);
        }
      }
    }

    const rootKeys = [...roots.keys()].map((n) => secretKey(home, n));
    const result = resolveReferences(
      rootKeys,
      (key) => {
        const stored = known.get(key);
        return stored ? { value: stored.value } : 'missing';
      },
      () => mayRead,
    );
    if (!result.ok) throw await refusal(result.problem, p, actor, doing, placeFor);
    const out = new Map<string, Resolved>();
    for (const key of rootKeys) {
      const from = result.dependsOn.get(key)!.map((k) => ({
        ...splitSecretKey(k),
        version: known.get(k)!.version,
      }));
      out.set(splitSecretKey(key).name, { value: result.values.get(key)!, from });
    }
    return out;
  };
}

const ESCAPE = 'write $${ where a literal ${ is meant';

/** The problem as an AppError naming the chain (names only: never a value). */
async function refusal(
  problem: ReferenceProblem,
  p: Place,
  actor: Actor,
  doing: string,
  placeFor: (env: string) => Promise<Place | null>,
): Promise<AppError> {
  const home = p.env.name;
  const chain = describeChain(problem.chain, home);
  const last = problem.chain.at(-1)!;
  const shown = showSecretKey(last, home);
  const details = { chain: problem.chain.map((k) => showSecretKey(k, home)) };
  switch (problem.kind) {
    case 'cycle':
      return new AppError('REFERENCE_CYCLE', `Cannot ${doing}: the references form a cycle, ${chain}.`, {
        hint: 'Break the loop: make one of these a plain value (no ${…} reference to the others).',
        details,
      });
    case 'missing': {
      const { environment, name } = splitSecretKey(last);
      const place = await placeFor(environment);
      const why = place
        ? `${name} is not set in ${place.where}`
        : `project ${p.project.name} has no environment ${environment} (references reach only this project's environments)`;
      return new AppError('REFERENCE_MISSING', `Cannot ${doing}: ${chain}, but ${why}.`, {
        hint: place
          ? `Set it first (\`latch secrets set ${name} <value> --env ${environment}\`), or ${ESCAPE}.`
          : `Run \`latch env list\` to see the environments; ${ESCAPE}.`,
        details,
      });
    }
    case 'forbidden':
      return new AppError(
        'REFERENCE_FORBIDDEN',
        `Cannot ${doing}: ${chain}, and reading ${shown} needs secrets:read, which this credential does not have.`,
        { hint: actor.org ? deniedHint(actor.org, 'secrets:read', actor.principal) : undefined, details },
      );
    case 'invalid': {
      const where = problem.chain.length > 1 ? `${chain}: the value of ${shown}` : `the value of ${shown}`;
      return new AppError('INVALID_INPUT', `Cannot ${doing}: ${where}: ${problem.message}.`, {
        hint: `References are \${NAME} or \${environment.NAME}; ${ESCAPE}.`,
        details: { ...details, issues: [{ path: 'value', message: problem.message }] },
      });
    }
  }
}
