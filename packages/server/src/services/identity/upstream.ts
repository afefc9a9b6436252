import { AppError } from '@latchkey/core';
import * as oidc from 'openid-client';
import type { OidcConfig } from '../../config.js';
import { isLoopbackUrl } from '../../runtime/oidc-settings.js';

export type Upstream = {
  readonly settings: OidcConfig;
  /** The provider's discovered configuration; fetched on first use and kept, retried after a failure. */
  discover(): Promise<oidc.Configuration>;
};

export function unreachable(settings: OidcConfig, cause?: unknown): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The sign-in provider at ${settings.issuer} could not be reached.`,
    {
      hint: 'Try again in a moment; if it persists, an operator should check LATCH_OIDC_ISSUER and the provider.',
      cause,
    },
  );
}

/** The upstream OpenID Connect provider, shared by browser SSO and OIDC bearer tokens. */
export function createUpstream(settings: OidcConfig): Upstream {
  let discovered: Promise<oidc.Configuration> | null = null;
  const issuer = new URL(settings.issuer);
  return {
    settings,
    discover() {
      discovered ??= oidc
        .discovery(
          issuer,
          settings.clientId,
          settings.clientSecret ?? undefined,
          settings.clientSecret ? oidc.ClientSecretPost(settings.clientSecret) : oidc.None(),
          // Plain http only for a loopback issuer, which start-up already limited it to.
          { execute: isLoopbackUrl(issuer) ? [oidc.allowInsecureRequests] : [], timeout: 10 },
        )
        .catch((err) => {
          discovered = null;
          throw unreachable(settings, err);
        });
      return discovered;
    },
  };
}
