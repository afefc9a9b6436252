import { z } from 'zod';
import { ROLES } from '../permissions/permissions.js';

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

export const OrgName = z
  .string()
  .trim()
  .normalize('NFC')
  .min(1)
  .max(64)
  .regex(DISPLAY_NAME_RE, DISPLAY_NAME_RULE);

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export function page<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const OrgParams = z.strictObject({ org: z.string().min(1).max(64) });
export const IdParams = z.strictObject({ id: Id });
