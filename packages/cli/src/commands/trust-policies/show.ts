import type { ClaimRule } from '@latchkey/core';

/** `repository=acme/api, ref~refs/heads/release/*` (`~` marks a glob). */
export function claimsLine(claims: ClaimRule[]): string {
  return claims.map((c) => `${c.claim}${c.glob ? '~' : '='}${c.value}`).join(', ');
}

export function ttlText(seconds: number): string {
  return seconds % 3600 === 0
    ? `${seconds / 3600}h`
    : seconds % 60 === 0
      ? `${seconds / 60}m`
      : `${seconds}s`;
}
