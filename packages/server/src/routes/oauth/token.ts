import type { RouteModule } from '../../app.js';
import { OAuthError } from '../../services/oauth/oauth-error.js';
import { TOKEN_EXCHANGE_GRANT } from '../../services/trust-policies/exchange.service.js';
import { limitPerIp, oauthParams, oauthScope, requestMeta } from './respond.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * RFC 6749 §3.2 token endpoint for the two grants the CLI uses, RFC 8693 token exchange for CI
 * (trust policies), and RFC 8628 §3.1 device codes.
 */
export const tokenRoutes: RouteModule = (app, { services, limiters }) =>
  oauthScope(app, (scope) => {
    scope.post('/oauth/device/code', { schema: { hide: true } }, async (req, reply) => {
      await limitPerIp(limiters.tokenEndpoint, req, reply);
      const p = oauthParams(req.body);
      return services.oauth.startDeviceAuthorization({ clientId: p.client_id, deviceName: p.device_name });
    });

    // Sign-in grants answer with a PAT, token exchange with a platform key: a credential route.
    scope.post(
      '/oauth/token',
      { config: { returnsCredential: true }, schema: { hide: true } },
      async (req, reply) => {
        await limitPerIp(limiters.tokenEndpoint, req, reply);
        const p = oauthParams(req.body);
        const meta = requestMeta(req);
        switch (p.grant_type) {
          case DEVICE_CODE_GRANT:
            return services.oauth.pollDeviceToken({ deviceCode: p.device_code, clientId: p.client_id }, meta);
          case 'authorization_code':
            return services.oauth.redeemAuthorizationCode(
              {
                code: p.code,
                redirectUri: p.redirect_uri,
                codeVerifier: p.code_verifier,
                clientId: p.client_id,
              },
              meta,
            );
          // RFC 8693: a CI job's OIDC token for a short-lived platform key (trust policies).
          case TOKEN_EXCHANGE_GRANT:
            return services.tokenExchange(p, meta);
          case undefined:
          case '':
            throw new OAuthError('invalid_request', 'grant_type is required.');
          default:
            throw new OAuthError(
              'unsupported_grant_type',
              `Supported grant types: authorization_code, ${DEVICE_CODE_GRANT}, ${TOKEN_EXCHANGE_GRANT}.`,
            );
        }
      },
    );

    // RFC 7009 §2.2: 200 whatever the token was (unknown, already revoked, not ours), so the
    // endpoint tells nothing about tokens; the CLI can always forget its copy afterwards.
    scope.post('/oauth/revoke', { schema: { hide: true } }, async (req, reply) => {
      const p = oauthParams(req.body);
      if (!p.token) throw new OAuthError('invalid_request', 'token is required.');
      await services.tokens.revokeByToken(p.token, requestMeta(req));
      return reply.code(200).send();
    });
  });
