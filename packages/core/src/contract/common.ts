import { z } from 'zod';
import { ROLES } from '../permissions/permissions.js';

/**
 * What PostgreSQL `text` cannot hold (NUL) and what UTF-8 cannot encode (a lone UTF-16 surrogate).
 * With the `u` flag a surrogate pair is one code point, so `\p{Cs}` matches only unpaired halves.
 */
const NOT_STORABLE = /[\0\p{Cs}]/u;
export const TEXT_RULE = 'must not contain NUL bytes or unpaired surrogates';

export function isStorableText(value: string): boolean {
  return !NOT_STORABLE.test(value);
}

/**
 * The one string schema of every request field: a NUL byte or an unpaired surrogate is a 400 here
 * instead of a database error later. Chain on it like on `z.string()` (`Text.trim().max(100)`).
 */
export const Text = z.string().refine(isStorableText, TEXT_RULE);

/** The range of the PostgreSQL `integer` columns that counts and versions are stored in. */
export const INT4_MAX = 2_147_483_647;
/** A positive integer that fits an `integer` column (versions, counts). */
export const PositiveInt4 = z.number().int().min(1).max(INT4_MAX);
/** The same, read from a query string. */
export const PositiveInt4Query = z.coerce.number().int().min(1).max(INT4_MAX);

/** Any JSON value stored as it came (an effect's payload): every key and string inside must be storable. */
export const StorableJson = z.unknown().superRefine((value, ctx) => {
  const path = firstUnstorable(value, []);
  if (path) ctx.addIssue({ code: 'custom', path, message: TEXT_RULE });
});

/** JSON objects stored as they came (manifests): every key and string inside must be storable. */
export const StorableJsonObject = z.record(Text, z.unknown()).superRefine((value, ctx) => {
  const path = firstUnstorable(value, []);
  if (path) ctx.addIssue({ code: 'custom', path, message: TEXT_RULE });
});

function firstUnstorable(value: unknown, path: (string | number)[]): (string | number)[] | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnstorable(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!isStorableText(key)) return [...path, key];
      const found = firstUnstorable(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** An ISO 8601 date-time sent by a client: four-digit years only, so it fits a `timestamptz`. */
export const TimestampInput = z.iso.datetime({ offset: true });

export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id');
export const Timestamp = z.string().describe('ISO 8601 date-time');
export const RoleSchema = z.enum(ROLES);
/** ASCII only, checked before lower-casing: why, see normaliseEmail (emails.ts), which is this schema. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[\x21-\x7e]*$/, 'must use ASCII letters, digits and punctuation only')
  .toLowerCase()
  .email('must be an email address');

/**
 * Display names (orgs, service accounts): 1–64 characters of any script's letters (with their
 * accents), digits, spaces, dots, dashes and underscores, starting with a letter or digit;
 * matched case-insensitively. NFC first, so "Café" typed either way is one name. Slugs stay ASCII.
 */
export const DISPLAY_NAME_RE = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._-]*$/u;
export const DISPLAY_NAME_RULE =
  'use letters (any language), digits, spaces, dots, dashes and underscores, starting with a letter or digit';

export const OrgName = Text.trim().normalize('NFC').min(1).max(64).regex(DISPLAY_NAME_RE, DISPLAY_NAME_RULE);

/** Opaque to clients; the server checks what it decodes to (store/pagination.ts). */
export const PageCursor = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]*$/, 'must be the nextCursor of a previous page');

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export function page<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const OrgParams = z.strictObject({ org: Text.min(1).max(64) });
export const IdParams = z.strictObject({ id: Id });
