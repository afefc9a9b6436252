import {
  AppError,
  defaultExpiry,
  type Minter,
  overreach,
  type PermissionSet,
  type Reach,
} from '@latchkey/core';
import { type Actor, type OrgContext, requireUser, type UserPrincipal } from './actor.js';

/** What every refusal for a scoped credential says to do next. */
export const UNSCOPED_HINT =
  'This needs an unscoped credential: run `latch login` (or use a PAT made without --scope), then retry.';

/** Is this the person's own, unscoped credential (see core's `Minter.bounded`)? */
export function isUnscopedPerson(actor: Actor): boolean {
  const p = actor.principal;
  return p.kind === 'user' && p.credential.scopes === null;
}

/** The actor as a minter, given what it may do where the new credential will act. */
export function minterOf(actor: Actor, permissions: PermissionSet): Minter {
  return { permissions, ...lifetimeOf(actor) };
}

function lifetimeOf(actor: Actor): Pick<Minter, 'expiresAt' | 'bounded'> {
  const { credential } = actor.principal;
  // An upstream OIDC token is the provider's to expire: nothing it mints may outlive it.
  return { expiresAt: credential.expiresAt, bounded: !isUnscopedPerson(actor) || credential.type === 'oidc' };
}

/** Acts on the person's whole account (all their PATs, new orgs): a scoped token may not. */
export function requireUnscopedUser(actor: Actor, doing: string): UserPrincipal {
  const user = requireUser(actor);
  if (user.credential.scopes !== null) {
    throw new AppError(
      'PERMISSION_DENIED',
      `A scoped token cannot ${doing}; it is limited to ${user.credential.scopes.join(', ')}.`,
      { hint: UNSCOPED_HINT },
    );
  }
  return user;
}

export type Minting = {
  /** "create this PAT", "receive this key's new secret": how the refusal names the act. */
  doing: string;
  wanted: Reach;
  /** The flag that sets the new credential's expiry, when the caller can pick a shorter one. */
  expiryFlag?: string;
  /** Where the new credential acts: names the caller's role in the refusal. */
  org?: OrgContext;
};

function describe(actor: Actor, org: OrgContext | undefined): string {
  const p = actor.principal;
  if (p.kind === 'user' && p.credential.scopes !== null) return 'this scoped token';
  if (p.kind === 'platform_key') return 'this platform key';
  if (p.kind === 'service_account') return `service account ${p.name}`;
  return org?.role ? `your role (${org.role}) in ${org.name}` : 'your login';
}

/**
 * The single check every credential-minting or -rotating service calls, after its own permission
 * check: the new (or newly revealed) credential must be within the actor's reach in `permissions`.
 */
export function requireMayMint(actor: Actor, permissions: PermissionSet, m: Minting): void {
  const minter = minterOf(actor, permissions);
  const over = overreach(minter, m.wanted);
  if (!over) return;
  const scoped = actor.principal.kind === 'user' && actor.principal.credential.scopes !== null;
  if (over.missing.length) {
    throw new AppError(
      'PERMISSION_DENIED',
      `Cannot ${m.doing}: a credential never gets more than the one that makes it, and ${describe(actor, m.org)} lacks ${over.missing.join(', ')}.`,
      {
        hint: scoped
          ? `Stay within this token's scopes, or use an unscoped credential: run \`latch login\`.`
          : 'Drop those permissions, or ask a person whose role grants them to do it.',
        details: { missing: over.missing },
      },
    );
  }
  throw new AppError(
    'PERMISSION_DENIED',
    `Cannot ${m.doing}: ${describe(actor, m.org)} expires at ${minter.expiresAt?.toISOString()}, and a credential never outlives the one that makes it.`,
    {
      hint: m.expiryFlag
        ? `Ask for an expiry before then (${m.expiryFlag}), or use an unscoped credential: run \`latch login\`.`
        : 'Use an unscoped credential: run `latch login`.',
      details: { expiresAt: minter.expiresAt?.toISOString() ?? null },
    },
  );
}

/** The default expiry of a credential `actor` makes without asking for one (capped, never refused). */
export function cappedDefault(actor: Actor, kindDefault: Date | null): Date | null {
  return defaultExpiry(lifetimeOf(actor), kindDefault);
}
