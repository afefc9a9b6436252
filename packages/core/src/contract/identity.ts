import { z } from 'zod';
import { Email, Id, OrgName, OrgParams, RoleSchema, Text, Timestamp } from './common.js';

export const User = z.object({ id: Id, email: z.string(), name: z.string().nullable() });
export type User = z.infer<typeof User>;

export const TokenKind = z.enum(['pat', 'platform_key', 'service_account_key', 'session', 'oidc']);

export const TokenInfo = z.object({
  id: Id,
  kind: TokenKind,
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()).nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** `GET /api/v1/me`: who the presented credential belongs to. */
export const Me = z.object({
  user: User.nullable(),
  token: TokenInfo,
  org: z.object({ id: Id, name: z.string() }).nullable().describe('set for org-bound credentials'),
});
export type Me = z.infer<typeof Me>;

export const Org = z.object({
  id: Id,
  name: z.string(),
  personal: z.boolean(),
  role: RoleSchema.nullable(),
  createdAt: Timestamp,
});
export type Org = z.infer<typeof Org>;
export const CreateOrgBody = z.strictObject({ name: OrgName });

/** `DELETE /api/v1/orgs/:org`: what went with the org (its audit entries stay, see docs/api.md). */
export const DeletedOrg = Org.extend({
  deleted: z.object({
    projects: z.number().int(),
    environments: z.number().int(),
    members: z.number().int(),
  }),
});
export type DeletedOrg = z.infer<typeof DeletedOrg>;

export const Member = z.object({
  userId: Id,
  email: z.string(),
  name: z.string().nullable(),
  role: RoleSchema,
  joinedAt: Timestamp,
});
export type Member = z.infer<typeof Member>;
export const MemberParams = OrgParams.extend({ member: Text.min(1).max(254) });
export const UpdateMemberBody = z.strictObject({ role: RoleSchema });

export const InvitationStatus = z.enum(['pending', 'accepted', 'declined', 'revoked', 'expired']);
export const Invitation = z.object({
  id: Id,
  org: z.object({ id: Id, name: z.string() }),
  email: z.string(),
  role: RoleSchema,
  status: InvitationStatus,
  invitedBy: z.string().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
export type Invitation = z.infer<typeof Invitation>;
export const CreateInvitationBody = z.strictObject({ email: Email, role: RoleSchema.default('developer') });
/**
 * `POST /api/v1/orgs/:org/invitations`: the invitation, and how its single-use link reaches the
 * person. The link itself is in the answer only when no mail server is configured: shown once,
 * for the inviter to pass on, and never stored.
 */
export const CreatedInvitation = Invitation.extend({
  delivery: z.enum(['email', 'link']),
  link: z.string().nullable().describe('shown once, only when delivery is "link"'),
});
export type CreatedInvitation = z.infer<typeof CreatedInvitation>;
export const OrgInvitationParams = OrgParams.extend({ id: Id });
/** `POST /api/v1/invitations/:id/accept`: the invitation, and the org you now belong to. */
export const AcceptedInvitation = z.object({ invitation: Invitation, org: Org });
export type AcceptedInvitation = z.infer<typeof AcceptedInvitation>;

export const Pat = TokenInfo.extend({ status: z.enum(['active', 'expiring', 'expired', 'revoked']) });
export type Pat = z.infer<typeof Pat>;
export const CreatePatBody = z.strictObject({
  name: Text.trim().min(1).max(100),
  expiresIn: z
    .union([Text.max(20), z.number().int()])
    .optional()
    .describe('90d, 12h, or a day count'),
  scopes: z.array(Text.max(64)).max(32).optional(),
});
export const CreatedPat = Pat.extend({ token: z.string().describe('shown once') });
export type CreatedPat = z.infer<typeof CreatedPat>;

/** A sign-in identity at the upstream OIDC provider, linked to this account (SSO). */
export const IdentityLink = z.object({
  id: Id,
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable().describe('what the provider said when the link was made'),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
});
export type IdentityLink = z.infer<typeof IdentityLink>;
