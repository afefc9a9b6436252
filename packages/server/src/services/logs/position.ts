/**
 * A position in an environment's log, shared by every node and kept across restarts: the id of
 * the transaction that wrote the row (xid8), its source (1 audit, 2 usage, 3 delivery attempts; 0 marks "everything
 * before this transaction") and its row id. Readers only hand out rows of transactions older
 * than their snapshot's xmin, in this order, so no row can later commit at a position before
 * one already sent (migration 0016 explains why a plain sequence is not enough).
 */
export type Position = { xid: string; source: 0 | 1 | 2 | 3; id: string };

export const SOURCE = { horizon: 0, audit: 1, usage: 2, delivery: 3 } as const;

export function encodePosition(p: Position): string {
  return `${p.xid}-${p.source}-${p.id}`;
}

/** The contract's LogPosition regex already checked the shape; null for anything else. */
export function decodePosition(text: string): Position | null {
  const m = /^(\d{1,20})-([0-3])-(\d{1,20})$/.exec(text);
  if (!m) return null;
  return { xid: m[1]!, source: Number(m[2]) as Position['source'], id: m[3]! };
}

export const ORIGIN: Position = { xid: '0', source: 0, id: '0' };
