import { displayPrefix, generateToken, hashToken, planRotation, type RotationPlan } from '@latchkey/core';
import type { DbOrTx } from '../../store/db.js';
import * as repo from './tokens.repo.js';

/**
 * How every credential kept in `tokens` (PATs, platform keys, service-account keys) gets its
 * secret: a fresh token with the kind's prefix, of which only the hash and the display prefix are
 * stored. The token is returned to be shown once.
 */
export async function issueToken(
  tx: DbOrTx,
  prefix: string,
  row: Omit<repo.NewTokenRow, 'tokenHash' | 'displayPrefix'>,
): Promise<{ key: repo.TokenRow; token: string }> {
  const token = generateToken(prefix);
  const key = await repo.insert(tx, {
    ...row,
    tokenHash: hashToken(token),
    displayPrefix: displayPrefix(token),
  });
  return { key, token };
}

/**
 * A new secret for a live credential of `tokens` (same id, name, scopes and expiry); the replaced
 * one keeps working for `graceMs`, never past the credential's own expiry (planRotation). Only
 * one replaced secret is ever kept: rotating again ends the older one.
 */
export async function rotateToken(
  tx: DbOrTx,
  current: repo.TokenRow,
  prefix: string,
  rotation: { now: Date; graceMs: number; label: string; createCommand: string },
): Promise<{ key: repo.TokenRow; token: string; plan: RotationPlan }> {
  const plan = planRotation(current, rotation.now, rotation.graceMs, {
    label: rotation.label,
    createCommand: rotation.createCommand,
  });
  const token = generateToken(prefix);
  const key = await repo.rotate(tx, current.id, {
    tokenHash: hashToken(token),
    displayPrefix: displayPrefix(token),
    previousHash: current.tokenHash,
    previousExpiresAt: plan.previousExpiresAt,
    rotatedAt: plan.rotatedAt,
  });
  return { key, token, plan };
}
