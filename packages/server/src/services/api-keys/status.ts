import { type ApiKey, type ApiKeyStatus, DAY } from '@latchkey/core';
import type { ApiKeyRow, ApiKeyWithEnv } from './api-keys.repo.js';

export const EXPIRING_WINDOW = 7 * DAY;

/** The same precedence as the list filter in api-keys.repo.ts: revoked > expired > rotating > expiring. */
export function statusOf(key: ApiKeyRow, now: Date): ApiKeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  if (key.previousExpiresAt && key.previousExpiresAt > now) return 'rotating';
  if (key.expiresAt && key.expiresAt.getTime() - now.getTime() <= EXPIRING_WINDOW) return 'expiring';
  return 'active';
}

export function rotatingUntil(key: ApiKeyRow, now: Date): Date | null {
  return !key.revokedAt && key.previousExpiresAt && key.previousExpiresAt > now
    ? key.previousExpiresAt
    : null;
}

export function toApiKey({ key, environment, createdBy }: ApiKeyWithEnv, now: Date): ApiKey {
  return {
    kind: 'api_key',
    id: key.id,
    name: key.name,
    prefix: key.displayPrefix,
    scope: key.scope,
    environment,
    metadata: key.metadata ?? {},
    createdAt: key.createdAt.toISOString(),
    createdBy: createdBy ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    rotatingUntil: rotatingUntil(key, now)?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    status: statusOf(key, now),
  };
}
