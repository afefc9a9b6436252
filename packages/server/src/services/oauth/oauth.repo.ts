import { and, eq, gt, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { deviceGrants, oauthCodes } from '../../store/schema.js';

export type DeviceGrantRow = typeof deviceGrants.$inferSelect;
export type OAuthCodeRow = typeof oauthCodes.$inferSelect;

export async function insertGrant(db: DbOrTx, row: typeof deviceGrants.$inferInsert): Promise<void> {
  await db.insert(deviceGrants).values(row);
}

/** Row-locked: concurrent polls of one device code are serialised, so it is redeemed at most once. */
export async function lockGrantByDeviceHash(db: DbOrTx, hash: Buffer): Promise<DeviceGrantRow | null> {
  const [row] = await db
    .select()
    .from(deviceGrants)
    .where(eq(deviceGrants.deviceCodeHash, hash))
    .limit(1)
    .for('update');
  return row ?? null;
}

export async function findPendingByUserCode(
  db: DbOrTx,
  userCode: string,
  now: Date,
): Promise<DeviceGrantRow | null> {
  const [row] = await db
    .select()
    .from(deviceGrants)
    .where(
      and(
        eq(deviceGrants.userCode, userCode),
        eq(deviceGrants.status, 'pending'),
        gt(deviceGrants.expiresAt, now),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** Approve or deny in one conditional UPDATE: only a pending, unexpired grant changes. */
export async function decideGrant(
  db: DbOrTx,
  userCode: string,
  now: Date,
  decision: { status: 'approved' | 'denied'; userId: string },
): Promise<DeviceGrantRow | null> {
  const [row] = await db
    .update(deviceGrants)
    .set(decision)
    .where(
      and(
        eq(deviceGrants.userCode, userCode),
        eq(deviceGrants.status, 'pending'),
        gt(deviceGrants.expiresAt, now),
      ),
    )
    .returning();
  return row ?? null;
}

export async function recordPoll(db: DbOrTx, id: string, at: Date, intervalSeconds: number): Promise<void> {
  await db.update(deviceGrants).set({ lastPolledAt: at, intervalSeconds }).where(eq(deviceGrants.id, id));
}

export async function markRedeemed(db: DbOrTx, id: string, at: Date): Promise<void> {
  await db.update(deviceGrants).set({ status: 'redeemed', lastPolledAt: at }).where(eq(deviceGrants.id, id));
}

export async function insertCode(db: DbOrTx, row: typeof oauthCodes.$inferInsert): Promise<void> {
  await db.insert(oauthCodes).values(row);
}

export async function lockCode(db: DbOrTx, hash: Buffer): Promise<OAuthCodeRow | null> {
  const [row] = await db
    .select()
    .from(oauthCodes)
    .where(eq(oauthCodes.codeHash, hash))
    .limit(1)
    .for('update');
  return row ?? null;
}

export async function markCodeUsed(db: DbOrTx, hash: Buffer, at: Date, patId: string | null): Promise<void> {
  await db.update(oauthCodes).set({ usedAt: at, patId }).where(eq(oauthCodes.codeHash, hash));
}

/** Old grants and codes carry no value once expired; they are dropped a while later. */
export async function purgeExpired(db: DbOrTx, before: Date): Promise<void> {
  await db.delete(deviceGrants).where(lt(deviceGrants.expiresAt, before));
  await db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, before));
}
