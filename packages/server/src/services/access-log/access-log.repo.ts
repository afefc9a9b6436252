import { AppError } from '@latchkey/core';
import { and, arrayContains, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { accessEvents } from '../../store/schema.js';

export type AccessRow = typeof accessEvents.$inferSelect;
export type NewAccessRow = typeof accessEvents.$inferInsert;

export type AccessFilters = {
  since?: Date | undefined;
  /** The actor's id or label (an email, a key name). */
  actor?: string | undefined;
  /** A secret name: entries whose read returned it. */
  name?: string | undefined;
  /** An environment name. */
  env?: string | undefined;
};

/** One plain INSERT: no chain lock and no transaction of its own, so concurrent reads never queue. */
export async function insert(db: DbOrTx, row: NewAccessRow): Promise<void> {
  await db.insert(accessEvents).values(row);
}

/** Newest first, keyset on id (the (org_id, id DESC) index); limit+1 rows so the caller sees more. */
export async function page(
  db: DbOrTx,
  orgId: string,
  f: AccessFilters,
  limit: number,
  before: number | null,
): Promise<AccessRow[]> {
  const where: SQL[] = [eq(accessEvents.orgId, orgId)];
  if (before !== null) where.push(lt(accessEvents.id, before));
  if (f.since) where.push(gte(accessEvents.createdAt, f.since));
  if (f.actor) where.push(or(eq(accessEvents.actorId, f.actor), eq(accessEvents.actorLabel, f.actor))!);
  if (f.name) where.push(arrayContains(accessEvents.names, [f.name]));
  if (f.env) where.push(eq(accessEvents.environment, f.env));
  return db
    .select()
    .from(accessEvents)
    .where(and(...where))
    .orderBy(desc(accessEvents.id))
    .limit(limit + 1);
}

/** The cursor is base64url of the last id of the previous page; anything else is a 400. */
export function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (/^[1-9]\d{0,15}$/.test(text)) return Number(text);
  throw new AppError('INVALID_INPUT', 'The cursor is not valid.', {
    hint: 'Pass back the nextCursor value of a previous page unchanged.',
  });
}
