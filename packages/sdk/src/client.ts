import {
  type ApiKey,
  type ApiKeyStatus,
  type FetchLike as CoreFetchLike,
  type CreatedApiKey,
  createClient as createApiClient,
  type EnqueuedEffect,
  endpoints,
} from '@latchkey/core';
import type { FetchLike } from './api.js';
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

export type EnqueueEffectInput = {
  url: string;
  payload: unknown;
  headers?: Record<string, string>;
  retry?: { maxAttempts?: number; backoffSeconds?: number[] };
  idempotencyKey?: string;
  environment?: string;
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
 * `latch api-keys …`, called through the typed client of the contract table (also exposed as
 * `api` for everything else). Failures are AppErrors with the shared codes (INVALID_INPUT
 * listing the declared scopes, NOT_FOUND, PERMISSION_DENIED, …).
 */
export function createClient(opts: ClientOptions) {
  const api = createApiClient({
    baseUrl: opts.apiUrl,
    token: opts.token,
    timeoutMs: opts.timeoutMs ?? 5_000,
    ...(opts.fetch ? { fetch: opts.fetch as CoreFetchLike } : {}),
  });
  let project: Promise<ProjectRef> | null = null;
  const params = async () => {
    project ??= resolveProject(api, opts.project, opts.org).catch((err) => {
      project = null;
      throw err;
    });
    const p = await project;
    return { org: p.org, project: p.project };
  };
  const environmentOf = (given: string | undefined) => {
    const env = given ?? opts.environment;
    if (!env) throw new TypeError('Pass `environment` here or to createClient.');
    return env;
  };

  return {
    effects: {
      /**
       * Hands follow-up work to Latchkey: a POST of `payload` to `url`, retried with backoff until
       * it answers 2xx (see `latch effects status`). The same `idempotencyKey` within 24 h returns
       * the first effect (`duplicate: true`) instead of enqueueing another.
       */
      async enqueue(input: EnqueueEffectInput): Promise<EnqueuedEffect> {
        const { environment, ...rest } = input;
        const env = environment ?? opts.environment;
        return api.call(endpoints.effects.enqueue, {
          params: await params(),
          body: { ...rest, ...(env ? { environment: env } : {}) },
        });
      },
    },
    /** The typed client of the whole API, e.g. `api.call(endpoints.projects.list, { params: { org } })`. */
    api,
    apiKeys: {
      /** The token is in this answer and nowhere else, ever: show it once. */
      async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
        const { environment, ...rest } = input;
        return api.call(endpoints.apiKeys.create, {
          params: await params(),
          body: { ...rest, environment: environmentOf(environment) },
        });
      },
      async list(input: ListApiKeysInput = {}): Promise<ApiKeyPage> {
        const env = input.environment ?? opts.environment;
        return api.call(endpoints.apiKeys.list, {
          params: await params(),
          query: {
            ...(env ? { env } : {}),
            ...(input.scope ? { scope: input.scope } : {}),
            ...(input.status ? { status: input.status } : {}),
            ...(input.limit ? { limit: input.limit } : {}),
            ...(input.cursor ? { cursor: input.cursor } : {}),
          },
        });
      },
      /** Same id, name, scope and metadata; a new token (shown once); the old one works for `gracePeriod`. */
      async rotate(id: string, input: { gracePeriod?: string | number } = {}): Promise<CreatedApiKey> {
        return api.call(endpoints.apiKeys.rotate, { params: { ...(await params()), id }, body: input });
      },
      /** Immediate and final, on every server and in every connected SDK. */
      async revoke(id: string): Promise<ApiKey> {
        return api.call(endpoints.apiKeys.revoke, { params: { ...(await params()), id } });
      },
    },
  };
}

export type LatchkeyClient = ReturnType<typeof createClient>;
