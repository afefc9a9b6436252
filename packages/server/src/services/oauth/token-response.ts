import type { CreatedPat } from '@latchkey/core';

/** RFC 6749 §5.1 success body. */
export type TokenResponse = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
};

export function tokenResponse(pat: CreatedPat, now: Date): TokenResponse {
  const expiresIn = pat.expiresAt
    ? Math.max(0, Math.floor((Date.parse(pat.expiresAt) - now.getTime()) / 1000))
    : 0;
  return {
    access_token: pat.token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    ...(pat.scopes?.length ? { scope: pat.scopes.join(' ') } : {}),
  };
}
