import { type ApiKey, credentialStatus, rotatingUntil } from '@latchkey/core';
import type { ApiKeyWithEnv } from './api-keys.repo.js';

/** The API's view of a key; its status comes from core's lifecycle rules, like every credential's. */
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
    status: credentialStatus(key, now),
  };
}
