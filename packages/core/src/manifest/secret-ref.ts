import { z } from 'zod';
import { SECRET_NAME_RE } from '../secrets/rules.js';

/** The marker `secret('NAME')` leaves in a manifest: plain JSON, so it survives `latch deploy`. */
export type SecretRef = { $secret: string };

export const SecretRefSchema = z.strictObject({
  $secret: z
    .string()
    .regex(SECRET_NAME_RE, 'a secret name is UPPER_SNAKE_CASE; write secret("GITHUB_WEBHOOK_SECRET")'),
});

export const WEBHOOK_SCHEMES = ['github', 'stripe', 'standard'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

/** `verify: { scheme, secret: secret('NAME') }` on a `none` route: the SDK checks the signature. */
export const RouteVerifySchema = z.strictObject({
  scheme: z.enum(WEBHOOK_SCHEMES, { message: 'scheme is one of github, stripe, standard' }),
  secret: SecretRefSchema,
});
export type RouteVerify = z.infer<typeof RouteVerifySchema>;
