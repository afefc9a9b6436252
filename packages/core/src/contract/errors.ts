export const ErrorCodes = [
  'INVALID_INPUT',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'WRONG_TOKEN_KIND',
  'PERMISSION_DENIED',
  'KEY_SUSPENDED',
  'NOT_FOUND',
  'CONFLICT',
  'REFERENCE_CYCLE',
  'REFERENCE_MISSING',
  'REFERENCE_FORBIDDEN',
  'RATE_LIMITED',
  'DEV_MODE_ONLY',
  'SETUP_REQUIRED',
  'DATABASE_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'INTEGRITY_ERROR',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export const ERROR_STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  // These three come from Node's HTTP parser, before any route (server http/client-errors.ts).
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  WRONG_TOKEN_KIND: 401,
  PERMISSION_DENIED: 403,
  KEY_SUSPENDED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // Secret references (`${NAME}` in a value): a loop, a name that is not set, one the actor may not read.
  REFERENCE_CYCLE: 400,
  REFERENCE_MISSING: 400,
  REFERENCE_FORBIDDEN: 403,
  RATE_LIMITED: 429,
  DEV_MODE_ONLY: 403,
  SETUP_REQUIRED: 409,
  DATABASE_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
  // A stored ciphertext or wrapped key failed authentication (altered, moved, wrong master key).
  INTEGRITY_ERROR: 500,
  INTERNAL: 500,
};

export type ErrorBody = {
  error: { code: ErrorCode; message: string; hint?: string; requestId?: string; details?: unknown };
};

/**
 * The one error type. Messages and hints are shown to users as they are, so they must never
 * contain a token, a secret value or a password.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; cause?: unknown; details?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(requestId?: string): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint ? { hint: this.hint } : {}),
        ...(requestId ? { requestId } : {}),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isErrorBody(value: unknown): value is ErrorBody {
  const e = (value as ErrorBody | null)?.error;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string';
}
