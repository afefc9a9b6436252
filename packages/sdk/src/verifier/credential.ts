import { AppError, parseToken, platformKindOf } from '@latchkey/core';

/**
 * The verifier's own credential is checked when it is made: its format is known locally, so a
 * typo or the wrong kind of token fails at start-up instead of in background retries every few
 * seconds after the app already says it is listening. The token itself never enters the error.
 */
export function checkVerifierToken(token: unknown): void {
  const how =
    'Create one with `latch keys create <name> -s api_keys:read,logs:write` (or a service-account key) and pass it as `token` (usually LATCH_TOKEN).';
  if (typeof token !== 'string' || token.trim() === '') {
    throw new AppError(
      'UNAUTHENTICATED',
      'createVerifier needs a token: a platform or service-account key.',
      {
        hint: how,
      },
    );
  }
  const parsed = parseToken(token.trim());
  if (!parsed) {
    throw new AppError(
      'INVALID_TOKEN',
      "createVerifier's token is malformed: it is not a Latchkey token (wrong length, characters or checksum).",
      { hint: `Check that it was copied whole, without quotes or spaces. ${how}` },
    );
  }
  const kind = platformKindOf(parsed.prefix);
  if (kind === 'platformKey' || kind === 'serviceAccountKey') return;
  const what =
    kind === 'pat'
      ? 'a personal access token (lk_pat_…): it acts as a person and stops working when they leave'
      : `an app API key (${parsed.prefix}…): those are what the verifier checks, not what it signs in with`;
  throw new AppError(
    'WRONG_TOKEN_KIND',
    `createVerifier's token is ${what}. It needs a platform key (lk_key_…) or a service-account key (lk_sa_…) with api_keys:read (and logs:write for usage reports).`,
    { hint: how },
  );
}
