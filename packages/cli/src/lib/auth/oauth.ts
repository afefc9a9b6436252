import { isErrorBody } from '@latchkey/core';
import { CliError, EXIT } from '../exit.js';
import type { Transport } from '../http.js';

export type TokenGrant = { access_token: string; token_type: string; expires_in?: number };
export type OAuthTokenAnswer =
  | { ok: true; grant: TokenGrant }
  | { ok: false; error: string; description: string | undefined; hint?: string };
export type DeviceCodeAnswer = {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
};

/**
 * The OAuth endpoints sign-in uses. They are RFC 6749/7009/8628 form posts outside /api/v1 (and
 * its contract table): their shapes are the RFCs', not ours.
 */
export function createOauth(base: string, transport: Transport) {
  async function form(
    path: string,
    fields: Record<string, string>,
  ): Promise<{ status: number; data: unknown }> {
    const res = await transport(new URL(`${base}${path}`), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    if (res.body === '') return { status: res.status, data: undefined };
    try {
      return { status: res.status, data: JSON.parse(res.body) };
    } catch {
      throw new CliError(`The server at ${base} answered ${res.status} with something that is not JSON.`, {
        hint: 'Check that --api-url (or LATCH_API_URL) points at a Latchkey server.',
      });
    }
  }

  return {
    async deviceCode(deviceName: string): Promise<DeviceCodeAnswer> {
      const { status, data } = await form('/oauth/device/code', {
        client_id: 'latch-cli',
        device_name: deviceName,
      });
      if (status !== 200) throw oauthFailure(base, '/oauth/device/code', status, data);
      return data as DeviceCodeAnswer;
    },
    /** RFC 6749 errors are answers here, not exceptions: the device flow polls on them. */
    async token(fields: Record<string, string>): Promise<OAuthTokenAnswer> {
      const { status, data } = await form('/oauth/token', { client_id: 'latch-cli', ...fields });
      const d = (data ?? {}) as { error?: unknown; error_description?: unknown; access_token?: unknown };
      if (status === 200 && typeof d.access_token === 'string')
        return { ok: true, grant: data as TokenGrant };
      if (typeof d.error === 'string') {
        const description = typeof d.error_description === 'string' ? d.error_description : undefined;
        const hint = (d as { hint?: unknown }).hint;
        return { ok: false, error: d.error, description, ...(typeof hint === 'string' ? { hint } : {}) };
      }
      throw oauthFailure(base, '/oauth/token', status, data);
    },
    /** RFC 7009: the server answers 200 whatever the token's state. */
    async revoke(token: string): Promise<void> {
      const { status, data } = await form('/oauth/revoke', { token, client_id: 'latch-cli' });
      if (status !== 200) throw oauthFailure(base, '/oauth/revoke', status, data);
    },
  };
}

export type Oauth = ReturnType<typeof createOauth>;

/** OAuth endpoint failures are sign-in problems, never "your token was rejected". */
function oauthFailure(base: string, path: string, status: number, data: unknown): CliError {
  if (isErrorBody(data)) {
    return new CliError(data.error.message, { hint: data.error.hint ?? 'Run `latch login` again.' });
  }
  return new CliError(`${base}${path} answered ${status}.`, {
    exitCode: EXIT.error,
    hint: 'Check that --api-url points at an up-to-date Latchkey server, then run `latch login` again.',
  });
}
