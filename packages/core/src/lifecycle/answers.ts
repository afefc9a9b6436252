import type { VerifyResult } from '../contract/api-keys.js';

/** Verification answers that name no key: the presented secret is not (or cannot be) one. */
function keyless(code: 'MALFORMED' | 'NOT_FOUND'): VerifyResult {
  // Frozen: the same object is handed out again and again (servers memoise its JSON).
  return Object.freeze({
    valid: false,
    code,
    keyId: null,
    name: null,
    scope: null,
    grants: null,
    environment: null,
    metadata: null,
    expiresAt: null,
    rotatingUntil: null,
  });
}

export const MALFORMED_ANSWER = keyless('MALFORMED');
export const NOT_FOUND_ANSWER = keyless('NOT_FOUND');
