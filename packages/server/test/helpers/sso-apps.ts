import { afterAll, beforeAll } from 'vitest';
import type { OidcConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from './app.js';
import type { useTestDatabase } from './db.js';
import { type Account, startUpstreamIdp, type UpstreamIdp } from './oidc-provider.js';

/**
 * An upstream provider `idp` that signs in `accounts` (by subject), and two production apps on
 * the file's database that use it, served at `publicUrl`: `strict` with the default settings
 * (existing accounts only) and `open` with `openSettings` (sign-up allowed). The handles are
 * filled before the file's tests and closed after them.
 */
export function useSsoApps(
  db: ReturnType<typeof useTestDatabase>,
  publicUrl: string,
  accounts: Record<string, Account>,
  openSettings: Partial<OidcConfig> = { allowSignup: true },
) {
  const idp = {} as UpstreamIdp;
  const strict = {} as TestApp;
  const open = {} as TestApp;
  beforeAll(async () => {
    Object.assign(idp, await startUpstreamIdp({ redirectUri: `${publicUrl}/sso/callback` }));
    for (const [sub, account] of Object.entries(accounts)) idp.accounts.set(sub, account);
    const app = (oidc: OidcConfig) => createTestApp(db.database, { mode: 'production', publicUrl, oidc });
    Object.assign(strict, await app(idp.settings()));
    Object.assign(open, await app(idp.settings(openSettings)));
  });
  afterAll(async () => {
    await strict.app?.close();
    await open.app?.close();
    await idp.close?.();
  });
  return { idp, strict, open };
}
