import { createHash } from 'node:crypto';

/**
 * What one audit row's hash covers. Never a secret or a token: recordAudit refuses data that
 * looks like one before anything is encoded.
 */
export type ChainedContent = {
  orgId: string | null;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  ip: string | null;
  requestId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** Milliseconds are the precision stored (the append truncates created_at to them). */
  createdAt: Date;
  data: unknown;
};

/** The hash the first row of every chain points back to. */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * The canonical encoding (version 1) is the RFC 8785 (JCS) serialisation of
 *
 *   { "action", "actor": { "id", "ip", "label", "requestId", "type" }, "data", "org", "prev",
 *     "target": { "id", "type" } | null, "time", "v": 1 }
 *
 * with `prev` the previous row's hash in lowercase hex, `time` the ISO 8601 UTC instant with
 * milliseconds (Date#toISOString) and absent values as null. The row's hash is SHA-256 of its
 * UTF-8 bytes. JCS sorts keys by UTF-16 code units and fixes number and string forms, so anyone
 * can recompute a hash from an export with any JCS library.
 *
 * seq is deliberately not covered: the order of a chain is fixed by the prev links, and leaving
 * seq out lets the verifier tell a reordered row (links point the wrong way) from an edited one
 * (content no longer matches its hash). The org is covered, so a row cannot move between chains.
 *
 * Verification encodes every row (a million in a few seconds), so the envelope is written out
 * here in JCS order (verify.ts has PostgreSQL build the same), and `data` goes through
 * canonicalJson() below rather than the `canonicalize` package, which costs half as much again
 * per row. A property test checks the result equals canonicalize() of the whole object.
 */
export function encodeChained(c: ChainedContent, prevHex: string): string {
  const { beforePrev, beforeTime } = encodeAround(c);
  return `${beforePrev}${prevHex}${beforeTime}${c.createdAt.toISOString()}${ENCODING_END}`;
}

/** What follows the time in every encoding. */
export const ENCODING_END = '","v":1}';

/**
 * The encoding up to the previous hash, and from there up to the time: the two parts known
 * before the chain is locked, so the append can have PostgreSQL finish and hash it under the
 * lock in the same statement that takes it (chain-append.ts).
 */
export function encodeAround(c: Omit<ChainedContent, 'createdAt'>): {
  beforePrev: string;
  beforeTime: string;
} {
  const target =
    c.targetType === null && c.targetId === null
      ? 'null'
      : `{"id":${str(c.targetId)},"type":${str(c.targetType)}}`;
  return {
    beforePrev:
      `{"action":${JSON.stringify(c.action)}` +
      `,"actor":{"id":${str(c.actorId)},"ip":${str(c.ip)},"label":${str(c.actorLabel)},"requestId":${str(c.requestId)},"type":${JSON.stringify(c.actorType)}}` +
      `,"data":${canonicalData(c.data)}` +
      `,"org":${str(c.orgId)}` +
      ',"prev":"',
    beforeTime: `","target":${target},"time":"`,
  };
}

/** The row's hash: SHA-256 over the canonical encoding, which already names the previous hash. */
export function hashChained(c: ChainedContent, prevHash: Buffer): Buffer {
  return createHash('sha256')
    .update(encodeChained(c, prevHash.toString('hex')))
    .digest();
}

function str(v: string | null): string {
  return v === null ? 'null' : JSON.stringify(v);
}

function canonicalData(data: unknown): string {
  return data === undefined ? 'null' : canonicalJson(data);
}

/**
 * RFC 8785 for what JSON.parse returns (and so what jsonb reads back as): object keys sorted by
 * UTF-16 code units (the default sort), numbers and strings as JSON.stringify writes them, which
 * is how JCS defines them. Lone surrogates, the one case where the two differ, cannot reach here:
 * PostgreSQL text and jsonb hold only valid UTF-8.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + canonicalJson(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    if (o[k] === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(o[k])}`;
    first = false;
  }
  return `${out}}`;
}
