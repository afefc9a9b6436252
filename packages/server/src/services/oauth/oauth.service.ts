import type { Clock } from '../../clock.js';
import type { ServerConfig } from '../../config.js';
import type { Db } from '../../store/db.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { createCodeFlow } from './code-flow.js';
import { createDeviceFlow } from './device-flow.js';

export type OAuthService = ReturnType<typeof createOAuthService>;

/**
 * The CLI's sign-in protocols: device authorization (RFC 8628) and authorization code with PKCE
 * for loopback redirects (RFC 7636, RFC 8252). Both end in a PAT named after the machine.
 */
export function createOAuthService(deps: {
  db: Db;
  clock: Clock;
  config: ServerConfig;
  tokens: TokensService;
}) {
  return { ...createDeviceFlow(deps), ...createCodeFlow(deps) };
}
