import type { ManifestInput } from '@latchkey/core';

/**
 * Marks a `latch.config.ts` default export as an access manifest (SPEC section 6). It returns its
 * argument unchanged: the config stays pure data that the CLI can load without the app's code,
 * and `latch scopes push` validates it. The type parameter keeps literal types for editors.
 */
export function defineProject<T extends ManifestInput>(manifest: T): T {
  return manifest;
}

export type { ManifestInput as ProjectManifest } from '@latchkey/core';
