import { redactTokens, redactTokensDeep } from '@latchkey/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toAppError } from '../../http/errors.js';
import type { Limiter } from '../../http/rate-limit.js';
import { OAuthError } from '../../services/oauth/oauth-error.js';

/**
 * OAuth endpoints answer in the protocol's own error format (RFC 6749 §5.2), which third-party
 * clients parse, instead of the API's `{ error: { code } }`: a scope with its own error handler.
 */
export async function oauthScope(
  app: FastifyInstance,
  routes: (scope: FastifyInstance) => void,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply) => {
      // Token answers must never be cached (RFC 6749 §5.1); nothing here should be.
      reply.header('Cache-Control', 'no-store');
      reply.header('Pragma', 'no-cache');
    });
    scope.setErrorHandler((err, req, reply) => {
      if (err instanceof OAuthError) return reply.code(err.status).send(redactTokensDeep(err.toBody()));
      const appErr = toAppError(err);
      if (appErr.code === 'RATE_LIMITED') {
        reply.header('Retry-After', String(appErr.retryAfterSeconds ?? 1));
        return reply
          .code(429)
          .send({ error: 'too_many_requests', error_description: redactTokens(appErr.message) });
      }
      if (appErr.status < 500) {
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: redactTokens(appErr.message) });
      }
      req.log.error({ err: appErr.cause ?? err }, 'oauth request failed');
      const error = appErr.code === 'DATABASE_UNAVAILABLE' ? 'temporarily_unavailable' : 'server_error';
      return reply.code(appErr.status).send({ error, error_description: redactTokens(appErr.message) });
    });
    routes(scope);
  });
}

/**
 * Form (or JSON) parameters as strings. RFC 6749 §3.1: a parameter sent more than once is an
 * invalid request, not something to pick a value from.
 */
export function oauthParams(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value))
      throw new OAuthError('invalid_request', `Parameter ${key} was sent more than once.`);
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number') out[key] = String(value);
  }
  return out;
}

/** Per-IP budget for the token and device-code endpoints; 429 with Retry-After when spent. */
export function limitPerIp(limiter: Limiter, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  return limiter.consume(req.ip, reply);
}

export const requestMeta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });
