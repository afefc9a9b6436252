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

/** Org names: 1–64 characters, letters, digits, spaces, dots, dashes, underscores; matched case-insensitively. */
export const OrgName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'use letters, digits, spaces, dots, dashes and underscores');

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
