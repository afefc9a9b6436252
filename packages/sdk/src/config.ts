import type { ManifestInput, SecretRef } from '@latchkey/core';

/**
 * Marks a `latch.config.ts` default export as an access manifest (SPEC section 6). It returns its
 * argument unchanged: the config stays pure data that the CLI can load without the app's code,
 * and `latch scopes push` validates it. The type parameter keeps literal types for editors.
 */
export function defineProject<T extends ManifestInput>(manifest: T): T {
  return manifest;
}

/**
 * References a secret of the environment by name, e.g. a `none` route's webhook signing secret:
 * `verify: { scheme: 'github', secret: secret('GITHUB_WEBHOOK_SECRET') }`. The manifest holds
 * only the name; `latch deploy` refuses a name the environment lacks, and `mountRoutes` takes the
 * value from the secrets the app's release gave it.
 */
export function secret(name: string): SecretRef {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
    throw new TypeError(`secret("${name}"): a secret name is UPPER_SNAKE_CASE, e.g. GITHUB_WEBHOOK_SECRET`);
  }
  return { $secret: name };
}

export type { ManifestInput as ProjectManifest, SecretRef } from '@latchkey/core';
