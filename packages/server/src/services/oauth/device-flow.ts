import { randomBytes } from 'node:crypto';
import { AppError, DAY, hashToken } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { ServerConfig } from '../../config.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import type { RequestMeta } from '../identity/identity.service.js';
import * as usersRepo from '../identity/users.repo.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { cleanDeviceName, findClient, requireClient } from './clients.js';
import * as repo from './oauth.repo.js';
import { OAuthError } from './oauth-error.js';
import { type TokenResponse, tokenResponse } from './token-response.js';
import { formatUserCode, generateUserCode, normaliseUserCode } from './user-codes.js';

export const DEVICE_CODE_TTL_SECONDS = 300;
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval the client must keep. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** Polls arrive with network jitter; a poll a fraction of a second early is not a misbehaving client. */
const POLL_JITTER_MS = 500;

export type DeviceAuthorization = {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
};

/** What the /device confirmation page shows: who asks, from which machine. */
export type PendingDevice = { userCode: string; clientName: string; deviceName: string; expiresAt: Date };

export function createDeviceFlow({
  db,
  clock,
  config,
  tokens,
}: {
  db: Db;
  clock: Clock;
  config: ServerConfig;
  tokens: TokensService;
}) {
  async function userActor(tx: DbOrTx, userId: string, meta: RequestMeta): Promise<AuditActor> {
    const user = await usersRepo.findById(tx, userId);
    return { type: 'user', id: userId, label: user?.email ?? null, ...meta };
  }

  async function decide(status: 'approved' | 'denied', input: string, userId: string, meta: RequestMeta) {
    const code = normaliseUserCode(input);
    const who = await userActor(db, userId, meta);
    const grant = await db.transaction(async (tx) => {
      const row = code ? await repo.decideGrant(tx, code, clock.now(), { status, userId }) : null;
      if (!row) return null;
      await recordAudit(tx, who, {
        orgId: null,
        action: status === 'approved' ? 'device.approved' : 'device.denied',
        target: { type: 'device_grant', id: row.id },
        data: { client: row.clientId, deviceName: row.deviceName },
      });
      return row;
    });
    if (!grant) {
      throw new AppError('NOT_FOUND', 'That code is not valid, has expired or was already used.', {
        hint: 'Run `latch login --device` again and enter the new code.',
      });
    }
    return {
      clientName: findClient(grant.clientId)?.name ?? grant.clientId,
      deviceName: cleanDeviceName(grant.deviceName),
    };
  }

  return {
    /** RFC 8628 §3.1-3.2. Only the SHA-256 of the device code is stored. */
    async startDeviceAuthorization(input: {
      clientId: unknown;
      deviceName?: unknown;
    }): Promise<DeviceAuthorization> {
      const client = requireClient(input.clientId);
      const deviceCode = randomBytes(32).toString('base64url');
      const now = clock.now();
      await repo.purgeExpired(db, new Date(now.getTime() - DAY));
      // The unique index on pending user codes catches the rare collision; a fresh code is drawn.
      for (let attempt = 0; ; attempt++) {
        const userCode = generateUserCode();
        try {
          await repo.insertGrant(db, {
            id: newId('dev'),
            deviceCodeHash: hashToken(deviceCode),
            userCode,
            clientId: client.id,
            deviceName: cleanDeviceName(input.deviceName),
            status: 'pending',
            intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
            createdAt: now,
            expiresAt: new Date(now.getTime() + DEVICE_CODE_TTL_SECONDS * 1000),
          });
        } catch (err) {
          if ((err as { code?: string }).code === '23505' && attempt < 5) continue;
          throw err;
        }
        const shown = formatUserCode(userCode);
        return {
          device_code: deviceCode,
          user_code: shown,
          verification_uri: `${config.publicUrl}/device`,
          verification_uri_complete: `${config.publicUrl}/device?user_code=${shown}`,
          expires_in: DEVICE_CODE_TTL_SECONDS,
          interval: DEVICE_POLL_INTERVAL_SECONDS,
        };
      }
    },

    /** For the approval page; null for anything that is not a pending, unexpired code. */
    async lookupUserCode(input: unknown): Promise<PendingDevice | null> {
      const code = normaliseUserCode(input);
      if (!code) return null;
      const grant = await repo.findPendingByUserCode(db, code, clock.now());
      if (!grant) return null;
      return {
        userCode: formatUserCode(code),
        clientName: findClient(grant.clientId)?.name ?? grant.clientId,
        deviceName: cleanDeviceName(grant.deviceName),
        expiresAt: grant.expiresAt,
      };
    },

    approveDevice: (userCode: string, userId: string, meta: RequestMeta) =>
      decide('approved', userCode, userId, meta),
    denyDevice: (userCode: string, userId: string, meta: RequestMeta) =>
      decide('denied', userCode, userId, meta),

    /** RFC 8628 §3.4-3.5: one poll of the token endpoint. */
    async pollDeviceToken(
      input: { deviceCode: unknown; clientId: unknown },
      meta: RequestMeta,
    ): Promise<TokenResponse> {
      const client = requireClient(input.clientId);
      if (typeof input.deviceCode !== 'string' || !input.deviceCode || input.deviceCode.length > 100) {
        throw new OAuthError('invalid_request', 'device_code is required.');
      }
      const deviceCode = input.deviceCode;
      // Outcomes that are errors still commit (the poll time and interval must be saved), so the
      // transaction returns the error instead of throwing it.
      const outcome = await db.transaction(async (tx): Promise<OAuthError | TokenResponse> => {
        const grant = await repo.lockGrantByDeviceHash(tx, hashToken(deviceCode));
        if (!grant || grant.clientId !== client.id)
          return new OAuthError('invalid_grant', 'Unknown device_code.');
        const now = clock.now();
        if (grant.status === 'redeemed')
          return new OAuthError('invalid_grant', 'This device code was already used.');
        if (grant.expiresAt <= now) {
          return new OAuthError('expired_token', 'The device code expired. Start the sign-in again.');
        }
        if (grant.status === 'denied')
          return new OAuthError('access_denied', 'The request was denied in the browser.');
        if (grant.status === 'pending') {
          const sinceLast = grant.lastPolledAt
            ? now.getTime() - grant.lastPolledAt.getTime()
            : Number.POSITIVE_INFINITY;
          const tooFast = sinceLast < grant.intervalSeconds * 1000 - POLL_JITTER_MS;
          const interval = grant.intervalSeconds + (tooFast ? SLOW_DOWN_STEP_SECONDS : 0);
          await repo.recordPoll(tx, grant.id, now, interval);
          return tooFast
            ? new OAuthError(
                'slow_down',
                `Polling too fast: wait at least ${interval} seconds between requests.`,
              )
            : new OAuthError('authorization_pending', 'Waiting for the code to be approved in the browser.');
        }
        // Approved: the PAT and the redemption commit together, under the row lock, exactly once.
        const userId = grant.userId!;
        const pat = await tokens.issuePat(tx, await userActor(tx, userId, meta), userId, {
          name: cleanDeviceName(grant.deviceName),
          via: 'device_code',
        });
        await repo.markRedeemed(tx, grant.id, now);
        return tokenResponse(pat, now);
      });
      if (outcome instanceof OAuthError) throw outcome;
      return outcome;
    },
  };
}
