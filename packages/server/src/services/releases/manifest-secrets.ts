import { AppError, type Manifest, manifestSecretNames } from '@latchkey/core';

/**
 * A release must not ship a manifest whose `secret('NAME')` references (webhook signing secrets
 * of `none` routes) name a secret the environment lacks: the app would answer those routes with
 * 500. Names only in the message, never values.
 */
export function refuseMissingManifestSecrets(
  manifest: Manifest | null | undefined,
  pinned: readonly { name: string }[],
  envName: string,
): void {
  const refusal = missingManifestSecrets(manifest, pinned, envName);
  if (refusal) throw refusal;
}

/** The refusal `refuseMissingManifestSecrets` would throw, or null; the deploy preview reports it. */
export function missingManifestSecrets(
  manifest: Manifest | null | undefined,
  pinned: readonly { name: string }[],
  envName: string,
): AppError | null {
  if (!manifest) return null;
  const have = new Set(pinned.map((p) => p.name));
  const missing = manifestSecretNames(manifest).filter((n) => !have.has(n));
  if (missing.length === 0) return null;
  const list = missing.join(', ');
  return new AppError(
    'INVALID_INPUT',
    `The access manifest references ${missing.length === 1 ? 'a secret' : 'secrets'} that ${envName} does not have: ${list}.`,
    {
      hint: `Set ${missing.length === 1 ? 'it' : 'them'} first (latch secrets set ${missing[0]} --env ${envName}), or fix the name in latch.config; nothing was deployed.`,
    },
  );
}
