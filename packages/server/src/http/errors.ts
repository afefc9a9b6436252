import { AppError, type ErrorCode, redactTokensDeep } from '@latchkey/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Limiters } from './limiters.js';
import type { Metrics } from './metrics.js';

type Issue = { path: string; message: string };

function validationIssues(err: FastifyError): Issue[] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    return err.validation.map((v) => ({
      path: [
        err.validationContext,
        ...String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean),
      ].join('.'),
      message: v.message ?? 'is invalid',
    }));
  }
  return (err.validation ?? []).map((v) => ({
    path: `${err.validationContext ?? 'input'}${v.instancePath}`,
    message: v.message ?? 'is invalid',
  }));
}

/** Fastify's own errors, by code, to ours. Anything else unknown is a 500 with no detail leaked. */
const FASTIFY_CODES: Record<string, [ErrorCode, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The request body is too large.', 'Send at most 1 MiB.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UNSUPPORTED_MEDIA_TYPE',
    'Unsupported content type.',
    'Send JSON with Content-Type: application/json.',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_JSON', 'The body is not valid JSON.', 'Check the JSON syntax.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    'INVALID_JSON',
    'The body is empty but Content-Type says JSON.',
    'Send a JSON body or drop the Content-Type header.',
  ],
  // The router could not decode the path (e.g. `%ED%A0%80`, a lone surrogate as invalid UTF-8).
  FST_ERR_BAD_URL: [
    'INVALID_INPUT',
    'The path is not valid percent-encoded UTF-8.',
    'Percent-encode path segments as UTF-8 (encodeURIComponent).',
  ],
  FST_ERR_MAX_PARAM_LENGTH: [
    'URI_TOO_LONG',
    'A path segment is too long.',
    'Path segments are at most 100 characters; send long input in a JSON body.',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'INVALID_INPUT',
    'Content-Length does not match the body.',
    'Resend the request.',
  ],
};

/** drizzle wraps driver errors; the PostgreSQL error code sits on the cause. */
function pgCode(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as never, i++
  ) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * Input PostgreSQL refused as data: NUL or an untranslatable character (22021, 22P05), bad text
 * for a type (22P02), a number out of range (22003), a bad or out-of-range date (22007, 22008).
 * The request schemas reject all of these first; this keeps a gap in them from being a 500.
 */
export const INVALID_INPUT_PG_CODES = new Set(['22021', '22P05', '22P02', '22003', '22007', '22008']);

export function isInvalidInputFromDatabase(err: unknown): boolean {
  const code = pgCode(err);
  return code !== undefined && INVALID_INPUT_PG_CODES.has(code);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyError & { code?: string; statusCode?: number };
  if (e?.validation) {
    const issues = validationIssues(e);
    const first = issues[0];
    return new AppError('INVALID_INPUT', first ? `${first.path}: ${first.message}` : 'Invalid input.', {
      hint: 'Fix the fields listed in details and try again.',
      details: { issues },
    });
  }
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return new AppError(mapped[0], mapped[1], { hint: mapped[2] });
  if (e instanceof SyntaxError && e.statusCode === 400) {
    return new AppError('INVALID_JSON', 'The body is not valid JSON.', { hint: 'Check the JSON syntax.' });
  }
  if (pgCode(err) === '23505') {
    return new AppError('CONFLICT', 'That already exists.', { hint: 'Pick another name.' });
  }
  if (isInvalidInputFromDatabase(err)) {
    return new AppError('INVALID_INPUT', 'A value in the request cannot be stored.', {
      hint: 'Remove NUL bytes and unpaired surrogates from text, and keep numbers and dates in range.',
    });
  }
  if (isDatabaseDown(e)) {
    return new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable.', {
      hint: 'Try again shortly.',
    });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode === 413) {
    return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.', {
      hint: 'Send at most 1 MiB.',
    });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('INVALID_INPUT', 'The request could not be read.', {
      hint: 'Check the request format.',
    });
  }
  return new AppError('INTERNAL', 'Something went wrong on the server.', {
    hint: 'Try again; if it persists, report it with the requestId.',
    cause: err,
  });
}

function isDatabaseDown(e: { code?: string; message?: string; cause?: unknown } | undefined): boolean {
  const code = pgCode(e) ?? e?.code ?? (e?.cause as { code?: string } | undefined)?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|ECONNREFUSED/i.test(
      `${e?.message ?? ''} ${(e?.cause as Error | undefined)?.message ?? ''}`,
    )
  );
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or hook runs
 * (an undecodable path) are answered by the error handler, in the API's error shape.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const appErr = toAppError(err);
  return reply.header('x-request-id', req.id).status(appErr.status).send(appErr.toBody(req.id));
}

export function registerErrorHandling(
  app: FastifyInstance,
  limiters: Limiters,
  metrics: Pick<Metrics, 'recordUnmatched'>,
) {
  app.setErrorHandler((err, req, reply) => {
    const appErr = toAppError(err);
    // INTEGRITY_ERROR: tampered or misplaced ciphertext; its message names the secret, never a value.
    if (
      appErr.code === 'INTERNAL' ||
      appErr.code === 'DATABASE_UNAVAILABLE' ||
      appErr.code === 'INTEGRITY_ERROR'
    ) {
      req.log.error({ err: appErr.cause ?? err }, 'request failed');
    } else if (isInvalidInputFromDatabase(err)) {
      // A schema let it through: the code (never the value) says which kind, to close the gap.
      req.log.warn({ pgCode: pgCode(err), url: req.routeOptions.url }, 'invalid input reached the database');
    }
    if (!reply.hasHeader('X-Request-Id')) reply.header('X-Request-Id', req.id);
    if (appErr.retryAfterSeconds !== undefined) reply.header('Retry-After', String(appErr.retryAfterSeconds));
    if (
      appErr.code === 'UNAUTHENTICATED' ||
      appErr.code.startsWith('TOKEN_') ||
      appErr.code === 'INVALID_TOKEN'
    ) {
      reply.header('WWW-Authenticate', 'Bearer realm="latchkey"');
    }
    // A credential pasted where a name or id goes is echoed by validation messages: never send it back.
    return reply.status(appErr.status).send(redactTokensDeep(appErr.toBody(req.id)));
  });

  // Routes get their rate limit from their own guard (http/security.ts); a miss spends the
  // address's budget here, so probing for routes is limited like any other request.
  app.setNotFoundHandler((req, reply) => {
    metrics.recordUnmatched(req.method, reply);
    reply.header('x-request-id', req.id);
    limiters.perIp.consume(req.ip, reply);
    const err = new AppError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`, {
      hint: 'See /api/v1/openapi.json for the routes.',
    });
    return reply.status(404).send(redactTokensDeep(err.toBody(req.id)));
  });
}
