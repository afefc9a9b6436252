import { DEFAULT_RETRY_SCHEDULE, type WebhookEvent } from '@latchkey/core';
import type { EventEnvironment, PlatformEvent } from './queue.js';

/**
 * Audit actions that are platform events. Every change writes its audit entry with the change
 * (recordAudit); the event is enqueued by the same statement, so a change and its event commit or
 * roll back together.
 */
const EVENT_OF_ACTION: Record<string, WebhookEvent> = {
  'api_key.created': 'api_key.created',
  'api_key.revoked': 'api_key.revoked',
  'api_key.rotated': 'api_key.rotated',
  'release.created': 'release.created',
  'release.rolled_back': 'release.rolled_back',
  'secret.set': 'secret.changed',
  'secret.unset': 'secret.changed',
  'secret.rolled_back': 'secret.changed',
  'secret.managed_set': 'secret.changed',
  'secrets.imported': 'secret.changed',
  'invitation.accepted': 'member.added',
  'member.removed': 'member.removed',
  'member.role_changed': 'member.role_changed',
  'project.created': 'project.created',
  'environment.created': 'environment.created',
  'environment.deleted': 'environment.deleted',
  'platform_key.created': 'platform_key.created',
  'platform_key.revoked': 'platform_key.revoked',
  'service_account.created': 'service_account.created',
  'service_account.deleted': 'service_account.deleted',
  'webhook.disabled': 'endpoint.disabled',
};

export function eventOfAction(action: string): WebhookEvent | undefined {
  return EVENT_OF_ACTION[action];
}

/** The Standard Webhooks body: `{ type, timestamp, data }`. */
export function eventBody(type: string, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data });
}

/** Where the change happened, as its audit entry says (the same rule `latch logs` reads audit by). */
function environmentOf(entry: { target?: { type: string; id: string }; data: Record<string, unknown> }): {
  environment?: EventEnvironment;
} {
  if (entry.target?.type === 'environment') return { environment: { id: entry.target.id } };
  const { project, environment } = entry.data;
  if (typeof project === 'string' && typeof environment === 'string')
    return { environment: { project, name: environment } };
  return {};
}

/**
 * The platform event an audit entry is, if any: enqueued by the entry's own append statement
 * (recordAudit), so a change and its event commit or roll back together.
 */
export function eventOfAudit(entry: {
  orgId: string | null;
  action: string;
  target?: { type: string; id: string };
  data: Record<string, unknown>;
  actor: { type: string; label: string | null };
}): PlatformEvent | undefined {
  const type = eventOfAction(entry.action);
  if (!type || !entry.orgId) return undefined;
  // Audit rows are stamped with the wall clock; so is the event (its first attempt is due at once).
  const at = new Date();
  return {
    orgId: entry.orgId,
    type,
    at,
    schedule: [...DEFAULT_RETRY_SCHEDULE],
    // The disabled endpoint itself is not told (it is not answering anyway).
    exceptEndpoint: type === 'endpoint.disabled' && entry.target ? entry.target.id : null,
    ...environmentOf(entry),
    body: eventBody(type, at, {
      ...entry.data,
      ...(entry.target ? { target: entry.target } : {}),
      actor: entry.actor,
      action: entry.action,
    }),
  };
}
