/** Exit codes are part of the CLI's contract (SPEC section 4): scripts branch on them. */
export const EXIT = {
  ok: 0,
  error: 1,
  /** Bad usage, a refused confirmation, or the user cancelled. */
  usage: 2,
  /** Not signed in, or the server rejected the token (any 401). */
  auth: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the CLI itself raises, already phrased for the user: `message` says what happened,
 * `hint` what to do next.
 */
export class CliError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly code: string;

  constructor(message: string, opts: { hint?: string; exitCode?: ExitCode; code?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.error;
    this.code = opts.code ?? (this.exitCode === EXIT.usage ? 'USAGE' : 'ERROR');
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: EXIT.usage, code: 'USAGE', ...(hint ? { hint } : {}) });
}
