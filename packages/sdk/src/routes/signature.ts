import type { FlatRoute, WebhookScheme } from '@latchkey/core';
import {
  verifyGithubWebhook,
  verifyStandardWebhook,
  verifyStripeWebhook,
  type WebhookCheck,
  type WebhookRequest,
} from '../webhooks.js';
import { errorBody } from './responses.js';
import type { RouteResponse, SecretsOption } from './types.js';

const CHECKS: Record<WebhookScheme, (req: WebhookRequest, secret: string) => WebhookCheck> = {
  github: verifyGithubWebhook,
  // Stripe and Standard Webhooks: the signed timestamp must be within 5 minutes (their default).
  stripe: (req, secret) => verifyStripeWebhook(req, secret),
  standard: (req, secret) => verifyStandardWebhook(req, secret),
};

const HEADER: Record<WebhookScheme, string> = {
  github: 'X-Hub-Signature-256',
  stripe: 'Stripe-Signature',
  standard: 'webhook-id, webhook-timestamp and webhook-signature',
};

/** Looked up per request, so an app that reloads its released secrets checks with the new value. */
export function secretLookup(secrets: SecretsOption): (name: string) => string | undefined {
  if (typeof secrets === 'function') return secrets;
  return (name) => (Object.hasOwn(secrets, name) ? secrets[name] : undefined);
}

/**
 * A `none` route's declared signature check (`verify: { scheme, secret }`), before the body is
 * parsed or the handler runs: null when it passes, else the answer (401, or 500 when the app was
 * not given the secret: a deployment mistake, reported through onError, never a pass).
 */
export function checkSignature(
  verify: NonNullable<FlatRoute['verify']>,
  req: WebhookRequest,
  lookup: (name: string) => string | undefined,
): { response: RouteResponse; missingSecret?: string } | null {
  const value = lookup(verify.secret);
  if (!value) {
    return {
      missingSecret: verify.secret,
      response: {
        status: 500,
        body: errorBody(
          'INTERNAL',
          'Something went wrong.',
          'Try again; if it persists, contact the API owner.',
        ),
      },
    };
  }
  const check = CHECKS[verify.scheme]!(req, value);
  if (check.valid) return null;
  const what = check.reason.replace(/_/g, ' ');
  return {
    response: {
      status: 401,
      body: errorBody(
        'UNAUTHENTICATED',
        `The webhook signature was refused (${what}).`,
        `Send the request signed by the sender (${HEADER[verify.scheme]}) with the current signing secret.`,
      ),
    },
  };
}
