import { and, eq, gt } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { invitations, orgs, users } from '../../store/schema.js';

export type InvitationRecord = typeof invitations.$inferSelect;
/** An invitation with what its answer shows: the org's name and who invited. */
export type InvitationRow = { invitation: InvitationRecord; orgName: string; inviterEmail: string | null };

const inviter = alias(users, 'inviter');

function selectRows(db: DbOrTx) {
  return db
    .select({ invitation: invitations, orgName: orgs.name, inviterEmail: inviter.email })
    .from(invitations)
    .innerJoin(orgs, eq(orgs.id, invitations.orgId))
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy));
}

/** Emails are stored normalised (normaliseEmail) and compared exactly. */
const emailIs = (email: string) => eq(invitations.email, email);

export async function insert(db: DbOrTx, row: typeof invitations.$inferInsert): Promise<InvitationRecord> {
  const [created] = await db.insert(invitations).values(row).returning();
  return created!;
}

/** Only an invitation of `orgId` matches: another org's id answers like a missing one. */
export async function findInOrg(db: DbOrTx, orgId: string, id: string): Promise<InvitationRow | null> {
  const [row] = await selectRows(db)
    .where(and(eq(invitations.orgId, orgId), eq(invitations.id, id)))
    .limit(1);
  return row ?? null;
}

/** Only an invitation addressed to `email` matches: someone else's answers like a missing one. */
export async function findForEmail(db: DbOrTx, email: string, id: string): Promise<InvitationRow | null> {
  const [row] = await selectRows(db)
    .where(and(eq(invitations.id, id), emailIs(email)))
    .limit(1);
  return row ?? null;
}

/** The pending invitation of `email` to `orgId`, expired or not (the unique index allows one). */
export async function findPending(
  db: DbOrTx,
  orgId: string,
  email: string,
): Promise<InvitationRecord | null> {
  const [row] = await db
    .select()
    .from(invitations)
    .where(and(eq(invitations.orgId, orgId), emailIs(email), eq(invitations.status, 'pending')))
    .limit(1);
  return row ?? null;
}

/** Pending invitations of an org, expired ones included so admins see who never answered. */
export async function listPendingForOrg(db: DbOrTx, orgId: string, limit: number, cursor: Cursor | null) {
  const ks = keyset(invitations.createdAt, invitations.id, cursor);
  return selectRows(db)
    .where(and(eq(invitations.orgId, orgId), eq(invitations.status, 'pending'), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** Invitations `email` can still accept. */
export async function listOpenForEmail(
  db: DbOrTx,
  email: string,
  now: Date,
  limit: number,
  cursor: Cursor | null,
) {
  const ks = keyset(invitations.createdAt, invitations.id, cursor);
  return selectRows(db)
    .where(and(emailIs(email), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/**
 * Moves a pending invitation to its final state. Conditional on still being pending, so two
 * concurrent answers (accept and revoke, or a double accept) cannot both win: null means we lost.
 */
export async function decide(
  db: DbOrTx,
  id: string,
  status: 'accepted' | 'declined' | 'revoked',
  at: Date,
): Promise<InvitationRecord | null> {
  const [row] = await db
    .update(invitations)
    .set({ status, decidedAt: at })
    .where(and(eq(invitations.id, id), eq(invitations.status, 'pending')))
    .returning();
  return row ?? null;
}

/** The invitation a link's token belongs to (by the token's SHA-256), whatever its state. */
export async function findByTokenHash(db: DbOrTx, tokenHash: Buffer): Promise<InvitationRow | null> {
  const [row] = await selectRows(db).where(eq(invitations.tokenHash, tokenHash)).limit(1);
  return row ?? null;
}

/**
 * Accepts through the link: pending and not yet expired, in one conditional UPDATE, so a link
 * is used at most once even when it is opened twice at the same moment. Null means it was not.
 */
export async function claim(db: DbOrTx, id: string, now: Date): Promise<InvitationRecord | null> {
  const [row] = await db
    .update(invitations)
    .set({ status: 'accepted', decidedAt: now })
    .where(and(eq(invitations.id, id), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now)))
    .returning();
  return row ?? null;
}
