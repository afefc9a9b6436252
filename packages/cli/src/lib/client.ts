import { type Client, createClient, type ErrorCode, type FetchLike } from '@latchkey/core';
import { createOauth, type Oauth } from './auth/oauth.js';
import { nodeTransport, type Transport } from './http.js';

/**
 * Raised before any request when there is no credential to send: what the CLI adds to the API's
 * own errors (the other one is NetworkError). Its code is the API's, so scripts see one union.
 */
export class NotSignedInError extends Error {
  readonly code: ErrorCode = 'UNAUTHENTICATED';
  readonly apiUrl: string;
  constructor(apiUrl: string) {
    super('not signed in');
    this.name = 'NotSignedInError';
    this.apiUrl = apiUrl;
  }
}

/** The core client over the CLI's node:http transport (cheaper to start than fetch on Node 20). */
export function fetchOver(transport: Transport): FetchLike {
  return async (url, init) => {
    const res = await transport(new URL(url), {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return {
      status: res.status,
      headers: {
        get(name) {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : (value ?? null);
        },
      },
      text: async () => res.body,
    };
  };
}

export type ApiOptions = { apiUrl: string; token?: string | undefined; transport?: Transport };

/** The typed client of the contract table, plus the OAuth calls sign-in needs (outside /api/v1). */
export type Api = Client & { apiUrl: string; hasToken: boolean; oauth: Oauth };

export function createApi(opts: ApiOptions): Api {
  const transport = opts.transport ?? nodeTransport;
  const client = createClient({
    baseUrl: opts.apiUrl,
    token: opts.token,
    fetch: fetchOver(transport),
    onMissingToken: () => new NotSignedInError(opts.apiUrl),
  });
  return Object.assign(client, {
    apiUrl: opts.apiUrl,
    hasToken: Boolean(opts.token),
    oauth: createOauth(opts.apiUrl, transport),
  });
}
