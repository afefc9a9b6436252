import type { RouteModule } from '../../app.js';
import { DEVICE_CODE_GRANT } from './token.js';

/** RFC 8414 metadata: everything a standard OAuth client needs to find the endpoints. */
export const metadataRoutes: RouteModule = (app, { config }) => {
  app.get('/.well-known/oauth-authorization-server', { schema: { hide: true } }, async (_req, reply) => {
    // Read per request: the public URL is part of the config, not of the route table.
    const base = config.publicUrl;
    reply.header('Cache-Control', 'public, max-age=300');
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      device_authorization_endpoint: `${base}/oauth/device/code`,
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', DEVICE_CODE_GRANT],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
    };
  });
};
