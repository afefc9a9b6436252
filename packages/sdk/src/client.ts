import type { ApiKey, ApiKeyStatus, CreatedApiKey } from '@latchkey/core';
import { createApi, type FetchLike } from './api.js';
import { type ProjectRef, resolveProject } from './verifier/project.js';

export type ClientOptions = {
  apiUrl: string;
  /** A platform or service-account key with api_keys:write (or :read to only list). */
  token: string;
  /** Project name or id. */
  project: string;
  /** Org name or id; found from the token when left out. */
  org?: string;
  /** Default environment for create and list. */
  environment?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
};

export type CreateApiKeyInput = {
  scope: string;
  name: string;
  environment?: string;
  metadata?: Record<string, string>;
  /** `90d`, `12h`, or a day count; 1h to 365d. No expiry when left out. */
  expiresIn?: string | number;
};

export type ListApiKeysInput = {
  environment?: string;
  scope?: string;
  status?: ApiKeyStatus;
  limit?: number;
  cursor?: string;
};

export type ApiKeyPage = { items: ApiKey[]; nextCursor: string | null };

/**
 * The management client for an app's own settings pages: the same `/api/v1` routes as
 * `latch api-keys …`, typed with the server's contract. Failures are AppErrors with the shared
 * codes (INVALID_INPUT listing the declared scopes, NOT_FOUND, PERMISSION_DENIED, …).
 */
export function createClient(opts: ClientOptions) {
  const api = createApi({
    apiUrl: opts.apiUrl,
    token: opts.token,
    fetch: opts.fetch,
    timeoutMs: opts.timeoutMs,
  });
  let project: Promise<ProjectRef> | null = null;
  const base = async () => {
    project ??= resolveProject(api, opts.project, opts.org).catch((err) => {
      project = null;
      throw err;
    });
    return `${(await project).base}/api-keys`;
  };
  const environmentOf = (given: string | undefined) => {
    const env = given ?? opts.environment;
    if (!env) throw new TypeError('Pass `environment` here or to createClient.');
    return env;
  };

  return {
    apiKeys: {
      /** The token is in this answer and nowhere else, ever: show it once. */
      async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
        const { environment, ...rest } = input;
        return api.request<CreatedApiKey>('POST', await base(), {
          ...rest,
          environment: environmentOf(environment),
        });
      },
      async list(input: ListApiKeysInput = {}): Promise<ApiKeyPage> {
        const q = new URLSearchParams();
        const env = input.environment ?? opts.environment;
        if (env) q.set('env', env);
        if (input.scope) q.set('scope', input.scope);
        if (input.status) q.set('status', input.status);
        if (input.limit) q.set('limit', String(input.limit));
        if (input.cursor) q.set('cursor', input.cursor);
        const query = q.size ? `?${q}` : '';
        return api.request<ApiKeyPage>('GET', `${await base()}${query}`);
      },
      /** Same id, name, scope and metadata; a new token (shown once); the old one works for `gracePeriod`. */
      async rotate(id: string, input: { gracePeriod?: string | number } = {}): Promise<CreatedApiKey> {
        return api.request<CreatedApiKey>('POST', `${await base()}/${encodeURIComponent(id)}/rotate`, input);
      },
      /** Immediate and final, on every server and in every connected SDK. */
      async revoke(id: string): Promise<ApiKey> {
        return api.request<ApiKey>('DELETE', `${await base()}/${encodeURIComponent(id)}`);
      },
    },
  };
}

export type LatchkeyClient = ReturnType<typeof createClient>;
