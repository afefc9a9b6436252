import { ApiError, type ErrorCode, endpoints } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { createApi, NotSignedInError } from '../src/lib/client.js';
import { failureJson, renderFailure, toFailure } from '../src/lib/errors.js';
import { CliError, EXIT, usageError } from '../src/lib/exit.js';
import { NetworkError } from '../src/lib/http.js';
import { ORGS, patToken, startFakeApi } from './helpers.js';

const apiError = (status: number, code: ErrorCode, message: string, extra: Record<string, unknown> = {}) =>
  new ApiError(code, message, { httpStatus: status, ...extra });

describe('error → message and exit code', () => {
  it('not signed in → exit 4 with the way forward', () => {
    const f = toFailure(new NotSignedInError('http://127.0.0.1:7420'), { tokenSource: null });
    expect(f.exitCode).toBe(EXIT.auth);
    expect(renderFailure(f)).toBe('You are not signed in. Run `latch login` (or set LATCH_TOKEN).');
  });

  it('a stored login for another server is named', () => {
    const f = toFailure(new NotSignedInError('https://b.example'), {
      tokenSource: null,
      storedLoginFor: 'https://a.example',
    });
    expect(renderFailure(f)).toBe(
      'You are not signed in to https://b.example (your stored login is for https://a.example). Run `latch login --api-url https://b.example` (or set LATCH_TOKEN).',
    );
  });

  it('TOKEN_EXPIRED → exit 4 with the expiry date', () => {
    const err = apiError(401, 'TOKEN_EXPIRED', 'Token expired');
    const f = toFailure(err, { tokenSource: 'config', tokenExpiresAt: '2026-03-01T12:00:00.000Z' });
    expect(f.exitCode).toBe(EXIT.auth);
    expect(renderFailure(f)).toBe('Your token expired on 2026-03-01 12:00 UTC. Run `latch login`.');
    const fromDetails = toFailure(
      apiError(401, 'TOKEN_EXPIRED', 'x', { details: { expiresAt: '2026-02-02T00:00:00Z' } }),
    );
    expect(fromDetails.message).toBe('Your token expired on 2026-02-02 00:00 UTC.');
  });

  it('any other 401 → exit 4, "rejected" with the server reason', () => {
    const f = toFailure(apiError(401, 'TOKEN_REVOKED', 'The token was revoked.'), { tokenSource: 'config' });
    expect(f.exitCode).toBe(EXIT.auth);
    expect(renderFailure(f)).toBe('Your token was rejected (The token was revoked). Run `latch login`.');
    const env = toFailure(apiError(401, 'INVALID_TOKEN', 'Unknown token'), { tokenSource: 'env' });
    expect(renderFailure(env)).toBe(
      'The token in LATCH_TOKEN was rejected (Unknown token). Set a valid LATCH_TOKEN, or unset it and run `latch login`.',
    );
  });

  it("other API errors show the server's message and hint, exit 1", () => {
    const f = toFailure(
      apiError(404, 'NOT_FOUND', 'No such org', { hint: 'Run `latch org list`.', requestId: 'req_1' }),
    );
    expect(f).toMatchObject({ exitCode: 1, code: 'NOT_FOUND', requestId: 'req_1' });
    expect(renderFailure(f)).toBe('No such org. Run `latch org list`.');
    const limited = toFailure(
      new ApiError('RATE_LIMITED', 'Too many requests.', { httpStatus: 429, retryAfterSeconds: 12 }),
    );
    expect(limited.hint).toBe('Wait 12 seconds and try again.');
    const broken = toFailure(apiError(500, 'INTERNAL', 'Internal error', { requestId: 'req_9' }));
    expect(broken.hint).toContain('req_9');
  });

  it('validation details are shown in words: which field and its rule, not "see details"', () => {
    const issue = (path: string, message: string) => ({ path, message });
    const one = toFailure(
      apiError(400, 'INVALID_INPUT', 'body.name: use letters', {
        hint: 'Fix the fields listed in details and try again.',
        details: {
          issues: [issue('body.name', 'use letters, digits, spaces, dots, dashes and underscores')],
        },
      }),
    );
    expect(one.exitCode).toBe(EXIT.error);
    expect(renderFailure(one)).toBe(
      'The server refused the name: use letters, digits, spaces, dots, dashes and underscores. Change that value and run the command again.',
    );
    const two = toFailure(
      apiError(400, 'INVALID_INPUT', 'x', {
        details: {
          issues: [
            issue('body.scopes.1', 'is not a scope'),
            issue('query.limit', 'Too big: expected <=500.'),
          ],
        },
      }),
    );
    expect(renderFailure(two)).toBe(
      [
        'The server refused 2 values:',
        '  - the scopes[1]: is not a scope',
        '  - the limit: Too big: expected <=500',
        'Change those values and run the command again.',
      ].join('\n'),
    );
    expect(renderFailure(two)).not.toContain('details');
  });

  it('an unreachable local server suggests `latch dev`; a remote one, checking the URL', () => {
    const local = toFailure(new NetworkError('http://127.0.0.1:7420', 'ECONNREFUSED'));
    expect(local.exitCode).toBe(EXIT.error);
    expect(renderFailure(local)).toBe(
      'Cannot reach http://127.0.0.1:7420: is the server running? Start one with `latch dev`.',
    );
    const remote = toFailure(new NetworkError('https://latch.example.com', 'ENOTFOUND'));
    expect(remote.hint).toContain('LATCH_API_URL');
  });

  it("the CLI's own errors keep their exit code; unknown errors are exit 1", () => {
    expect(toFailure(usageError('Bad.', 'Do this.')).exitCode).toBe(EXIT.usage);
    expect(toFailure(new CliError('Failed.')).exitCode).toBe(EXIT.error);
    expect(toFailure(new TypeError('boom'))).toMatchObject({ exitCode: 1, code: 'INTERNAL' });
  });

  it("the server's AppError and fixable system errors keep their message, with what to do", () => {
    const app = Object.assign(new Error('LATCH_MASTER_KEY is required'), {
      name: 'AppError',
      code: 'INVALID_INPUT',
      hint: 'Set LATCH_MASTER_KEY to 32 bytes in base64.',
    });
    expect(toFailure(app)).toEqual({
      exitCode: 1,
      code: 'INVALID_INPUT',
      message: 'LATCH_MASTER_KEY is required',
      hint: 'Set LATCH_MASTER_KEY to 32 bytes in base64.',
    });
    const busy = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7420'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
    });
    expect(toFailure(busy).hint).toContain('--port');
  });

  it('--json errors are one JSON object without the exit code', () => {
    const f = toFailure(apiError(403, 'PERMISSION_DENIED', 'Needs members:write', { hint: 'Ask an owner.' }));
    expect(JSON.parse(failureJson(f))).toEqual({
      error: { code: 'PERMISSION_DENIED', message: 'Needs members:write', hint: 'Ask an owner.' },
    });
  });
});

describe('API client errors, end to end through a fake server', () => {
  it('a 401 body becomes an ApiError that maps to exit 4', async () => {
    const api = await startFakeApi(() => ({
      status: 401,
      body: { error: { code: 'TOKEN_EXPIRED', message: 'Token expired', requestId: 'r1' } },
    }));
    try {
      const err = await createApi({ apiUrl: api.url, token: patToken() })
        .call(endpoints.me.get)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(toFailure(err, { tokenSource: 'config', tokenExpiresAt: '2026-03-01T00:00:00Z' }).exitCode).toBe(
        4,
      );
      expect(api.seen[0]!.headers.authorization).toMatch(/^Bearer lk_pat_/);
    } finally {
      await api.close();
    }
  });

  it('connection refused becomes the "is the server running?" message', async () => {
    const api = await startFakeApi(() => ({}));
    await api.close();
    const err = await createApi({ apiUrl: api.url, token: patToken() })
      .call(endpoints.me.get)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 0 });
    expect((err as ApiError).cause).toBeInstanceOf(NetworkError);
    expect(toFailure(err).code).toBe('SERVICE_UNAVAILABLE');
    expect(toFailure(err).message).toBe(`Cannot reach ${api.url}: is the server running?`);
  });

  it('no token → NotSignedInError before any request', async () => {
    const err = await createApi({ apiUrl: 'http://127.0.0.1:9' })
      .call(endpoints.me.get)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSignedInError);
    expect(toFailure(err).code).toBe('UNAUTHENTICATED');
  });

  it('follows nextCursor so lists are complete', async () => {
    const api = await startFakeApi((req) =>
      req.query.get('cursor') === 'p2'
        ? { body: { items: [{ ...ORGS[0], id: 'b' }], nextCursor: null } }
        : { body: { items: [{ ...ORGS[0], id: 'a' }], nextCursor: 'p2' } },
    );
    try {
      const orgs = await createApi({ apiUrl: api.url, token: 't' }).all(endpoints.orgs.list);
      expect(orgs.map((o) => o.id)).toEqual(['a', 'b']);
      expect(api.seen[0]!.query.get('limit')).toBe('500');
    } finally {
      await api.close();
    }
  });
});

describe('the fake API', () => {
  it('refuses to script an answer the real server could not give', async () => {
    const api = await startFakeApi((req) =>
      req.path === '/api/v1/me'
        ? { body: { user: null } }
        : { status: 418, body: { error: { code: 'CONFLICT', message: 'x' } } },
    );
    const client = createApi({ apiUrl: api.url, token: patToken() });
    const err = (await client.call(endpoints.me.get).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toMatch(/off-contract fake: GET \/api\/v1\/me answered 200 off-contract/);
    await client.call(endpoints.orgs.list).catch(() => undefined);
    await expect(api.close()).rejects.toThrow(/orgs\.list does not answer CONFLICT/);
  });
});
