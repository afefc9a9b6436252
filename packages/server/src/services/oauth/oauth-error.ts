/** RFC 6749 §5.2 (and RFC 8628 §3.5) error codes; the token endpoint answers `{ error, error_description }`. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'temporarily_unavailable';

/**
 * The OAuth protocol's own error shape, separate from AppError because third-party OAuth clients
 * parse it. Descriptions are shown to users: never put a code, token or verifier in them.
 */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  /** What to do next: an extension member of the error body (RFC 6749 §5.2 allows extra ones). */
  readonly hint: string | undefined;

  constructor(error: OAuthErrorCode, description: string, status = 400, opts: { hint?: string } = {}) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.status = status;
    this.hint = opts.hint;
  }

  toBody() {
    return { error: this.error, error_description: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}
