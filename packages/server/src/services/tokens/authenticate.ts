import {
  AppError,
  hashToken,
  type PlatformTokenKind,
  parseToken,
  platformKindOf,
  replacedSecretError,
  secretState,
  TOKEN_PREFIXES,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { type LookupCache, noLookupCache } from '../../store/lookups.js';
import type { Principal } from '../actor.js';
import type { LastUsedRecorder } from '../last-used.js';
import * as repo from './tokens.repo.js';

type Found = NonNullable<Awaited<ReturnType<typeof repo.findForAuth>>>;

const ROW_KIND: Record<PlatformTokenKind, repo.TokenRow['kind']> = {
  pat: 'pat',
  platformKey: 'platform_key',
  serviceAccountKey: 'service_account_key',
};

/** What to do about a dead credential depends on what kind it is: people sign in, keys are re-made. */
const RENEW_HINT: Record<PlatformTokenKind, string> = {
  pat: 'Run `latch login` to get a new one.',
  platformKey: 'Ask for a new platform key (`latch keys create`).',
  serviceAccountKey: 'Ask for a new service-account key (`latch service-accounts keys create <account>`).',
};

function invalid(message: string, hint: string): AppError {
  return new AppError('INVALID_TOKEN', message, { hint });
}

export type ExternalAuthenticator = (token: string) => Promise<Principal>;

const PLATFORM_PREFIXES = Object.values(TOKEN_PREFIXES);

/** Meant as a Latchkey credential: a platform prefix, even when mistyped after it. */
function latchkeyShaped(token: string): boolean {
  return PLATFORM_PREFIXES.some((p) => token.startsWith(p));
}

/** What the tokens service and its authenticator need. */
export type TokensDeps = {
  db: Db;
  clock: Clock;
  lastUsed: LastUsedRecorder;
  /** Bearer tokens that are not Latchkey's (the upstream OIDC provider's), when SSO is set up. */
  external?: ExternalAuthenticator | null;
  /** Memoises the credential rows; whether one may be used now is decided again on every call. */
  lookups?: LookupCache;
};

export function createAuthenticator({ db, clock, lastUsed, external, lookups = noLookupCache }: TokensDeps) {
  const credentials = lookups.memo<Found | null>();

  /** Revoked, deleted, expired or rotated out: each answers with its own code and next step. */
  function refuseIfDead(found: Found, hash: Buffer, kind: PlatformTokenKind, now: Date): void {
    const { token: row, serviceAccount } = found;
    const hint = RENEW_HINT[kind];
    const state = secretState(row, row.tokenHash.equals(hash) ? 'current' : 'previous', now);
    if (state === 'revoked') throw new AppError('TOKEN_REVOKED', 'The token was revoked.', { hint });
    if (kind === 'serviceAccountKey' && (!serviceAccount || serviceAccount.deletedAt)) {
      throw new AppError('TOKEN_REVOKED', 'The service account this key belonged to was deleted.', {
        hint: 'Create a service account and a key for it (`latch service-accounts create`).',
      });
    }
    if (state === 'expired' && row.expiresAt) {
      throw new AppError(
        'TOKEN_EXPIRED',
        `The token expired on ${row.expiresAt.toISOString().slice(0, 10)}.`,
        {
          hint,
          details: { expiresAt: row.expiresAt.toISOString() },
        },
      );
    }
    // Matched the hash a rotation replaced, and its grace period is over (or was 0).
    if (state === 'replaced') throw replacedSecretError();
  }

  function principalOf(found: Found, kind: PlatformTokenKind): Principal {
    const { token: row, user, serviceAccount } = found;
    const credential = { id: row.id, scopes: row.scopes ?? null, expiresAt: row.expiresAt };
    if (kind === 'pat' && user)
      return { kind: 'user', userId: user.id, email: user.email, credential: { type: 'pat', ...credential } };
    if (kind === 'platformKey' && row.orgId) {
      return {
        kind: 'platform_key',
        orgId: row.orgId,
        createdBy: row.createdBy,
        name: row.name,
        // A platform key always carries scopes; an empty list (never stored) would grant nothing.
        credential: { type: 'platform_key', ...credential, scopes: row.scopes ?? [] },
      };
    }
    if (kind === 'serviceAccountKey' && row.orgId && serviceAccount) {
      return {
        kind: 'service_account',
        orgId: row.orgId,
        serviceAccountId: serviceAccount.id,
        name: serviceAccount.name,
        role: serviceAccount.role,
        credential: { type: 'service_account_key', ...credential },
      };
    }
    throw invalid('The token is not recognised.', RENEW_HINT[kind]);
  }

  /**
   * Resolves a bearer token to its principal. The shape and checksum are checked first, so garbage
   * never reaches the database; only the SHA-256 of the token is ever looked up (and the memo is
   * keyed by it). `fresh`: read the database even when the row is memoised.
   */
  async function authenticate(token: string, fresh: boolean): Promise<Principal> {
    const parsed = parseToken(token);
    // Not ours by shape: with SSO set up, it may be the upstream provider's (a JWT or opaque token).
    if (!parsed && external && !latchkeyShaped(token)) return external(token);
    if (!parsed)
      throw invalid(
        'The token is malformed (bad format or checksum).',
        'Copy the whole token again, or run `latch login`.',
      );
    const kind = platformKindOf(parsed.prefix);
    if (!kind) {
      throw new AppError(
        'WRONG_TOKEN_KIND',
        'This looks like an app API key; app keys call your app, not /api/v1.',
        {
          hint: 'Use a personal access token (`latch login`) or a platform key (`latch keys create`).',
        },
      );
    }
    const hash = hashToken(token);
    const load = () => repo.findForAuth(db, hash);
    const found = fresh
      ? await load()
      : await credentials.get(hash.toString('base64'), load, (f) => f !== null);
    // The prefix must agree with the row: a PAT hash can never be presented as a key, or the reverse.
    if (!found || found.token.kind !== ROW_KIND[kind])
      throw invalid('The token is not recognised.', RENEW_HINT[kind]);
    const now = clock.now();
    refuseIfDead(found, hash, kind, now);
    const principal = principalOf(found, kind);
    lastUsed.touch('token', found.token.id, now.getTime());
    return principal;
  }

  return {
    authenticate: (token: string) => authenticate(token, false),
    /** Always from the database: for a cache of its own, which must not stack on the memo. */
    authenticateFresh: (token: string) => authenticate(token, true),
  };
}
