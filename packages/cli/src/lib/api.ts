import type {
  AcceptedInvitation,
  ApiKey,
  CreatedApiKey,
  CreatedPat,
  CreatedPlatformKey,
  CreatedServiceAccountKey,
  DeletedEnvironment,
  Deployed,
  Environment,
  IdentityLink,
  ImportedSecrets,
  Invitation,
  ManifestVersion,
  Me,
  Member,
  Org,
  Pat,
  PlatformKey,
  Project,
  PushedManifest,
  Release,
  ReleasedSecrets,
  Role,
  SecretChange,
  SecretHistory,
  SecretList,
  SecretValue,
  ServiceAccount,
  ServiceAccountKey,
  ServiceAccountRole,
} from '@latchkey/core';
import { isErrorBody } from '@latchkey/core';
import { CliError, EXIT } from './exit.js';
import { type HttpResponse, nodeTransport, type Transport } from './http.js';

/** An `/api/v1` error answer: `{"error":{code,message,hint,requestId,details}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  readonly requestId: string | undefined;
  readonly details: unknown;
  readonly retryAfter: string | undefined;

  constructor(
    status: number,
    body: { code: string; message: string; hint?: string; requestId?: string; details?: unknown },
    retryAfter?: string,
  ) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.requestId = body.requestId;
    this.details = body.details;
    this.retryAfter = retryAfter;
  }
}

/** Raised before any request when there is no credential to send. */
export class NotSignedInError extends Error {
  readonly apiUrl: string;
  constructor(apiUrl: string) {
    super('not signed in');
    this.name = 'NotSignedInError';
    this.apiUrl = apiUrl;
  }
}

export type TokenGrant = { access_token: string; token_type: string; expires_in?: number };
export type OAuthTokenAnswer =
  | { ok: true; grant: TokenGrant }
  | { ok: false; error: string; description: string | undefined };
export type DeviceCodeAnswer = {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
};

export type ApiOptions = { apiUrl: string; token?: string | undefined; transport?: Transport };
type Page<T> = { items: T[]; nextCursor?: string | null };

const seg = encodeURIComponent;
const envPath = (org: string, project: string, env: string) =>
  `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments/${seg(env)}`;

export function createApi(opts: ApiOptions) {
  const transport = opts.transport ?? nodeTransport;
  const base = opts.apiUrl;

  async function send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ) {
    return transport(new URL(`${base}${path}`), {
      method,
      headers: { accept: 'application/json', ...headers },
      body,
    });
  }

  function parse(res: HttpResponse): unknown {
    if (res.body === '') return undefined;
    try {
      return JSON.parse(res.body);
    } catch {
      throw new CliError(`The server at ${base} answered ${res.status} with something that is not JSON.`, {
        hint: 'Check that --api-url (or LATCH_API_URL) points at a Latchkey server.',
      });
    }
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!opts.token) throw new NotSignedInError(base);
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await send(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
    const data = parse(res);
    if (res.status >= 200 && res.status < 300) return data as T;
    const retryAfter = res.headers['retry-after'];
    if (isErrorBody(data))
      throw new ApiError(res.status, data.error, typeof retryAfter === 'string' ? retryAfter : undefined);
    throw new ApiError(res.status, {
      code: `HTTP_${res.status}`,
      message: `The server answered ${res.status}.`,
    });
  }

  /** Follows `nextCursor` so lists are complete; 500 is the server's page maximum. */
  async function all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null | undefined;
    do {
      const qs = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
      const page = await call<Page<T>>('GET', `${path}?${qs}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  async function form(
    path: string,
    fields: Record<string, string>,
  ): Promise<{ status: number; data: unknown }> {
    const res = await send('POST', path, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    return { status: res.status, data: parse(res) };
  }

  return {
    apiUrl: base,
    hasToken: Boolean(opts.token),
    me: () => call<Me>('GET', '/api/v1/me'),
    orgs: {
      list: () => all<Org>('/api/v1/orgs'),
      create: (name: string) => call<Org>('POST', '/api/v1/orgs', { name }),
    },
    members: {
      list: (org: string) => all<Member>(`/api/v1/orgs/${seg(org)}/members`),
      remove: (org: string, member: string) =>
        call<Member>('DELETE', `/api/v1/orgs/${seg(org)}/members/${seg(member)}`),
    },
    invitations: {
      create: (org: string, body: { email: string; role: Role }) =>
        call<Invitation>('POST', `/api/v1/orgs/${seg(org)}/invitations`, body),
      mine: () => all<Invitation>('/api/v1/invitations'),
      accept: (id: string) => call<AcceptedInvitation>('POST', `/api/v1/invitations/${seg(id)}/accept`),
      decline: (id: string) => call<Invitation>('POST', `/api/v1/invitations/${seg(id)}/decline`),
    },
    identities: {
      list: () => all<IdentityLink>('/api/v1/me/identities'),
      remove: (id: string) => call<IdentityLink>('DELETE', `/api/v1/me/identities/${seg(id)}`),
    },
    pats: {
      list: () => all<Pat>('/api/v1/pats'),
      create: (body: { name: string; expiresIn?: string; scopes?: string[] }) =>
        call<CreatedPat>('POST', '/api/v1/pats', body),
      revoke: (id: string) => call<Pat>('DELETE', `/api/v1/pats/${seg(id)}`),
    },
    keys: {
      list: (org: string) => all<PlatformKey>(`/api/v1/orgs/${seg(org)}/keys`),
      create: (org: string, body: { name: string; scopes: string[]; expiresIn?: string }) =>
        call<CreatedPlatformKey>('POST', `/api/v1/orgs/${seg(org)}/keys`, body),
      revoke: (org: string, id: string) =>
        call<PlatformKey>('DELETE', `/api/v1/orgs/${seg(org)}/keys/${seg(id)}`),
      rotate: (org: string, id: string, body: { gracePeriod?: string }) =>
        call<CreatedPlatformKey>('POST', `/api/v1/orgs/${seg(org)}/keys/${seg(id)}/rotate`, body),
    },
    serviceAccounts: {
      list: (org: string) => all<ServiceAccount>(`/api/v1/orgs/${seg(org)}/service-accounts`),
      create: (org: string, body: { name: string; role: ServiceAccountRole }) =>
        call<ServiceAccount>('POST', `/api/v1/orgs/${seg(org)}/service-accounts`, body),
      /** `account` is an id or a name: the server matches names case-insensitively. */
      delete: (org: string, account: string) =>
        call<ServiceAccount>('DELETE', `/api/v1/orgs/${seg(org)}/service-accounts/${seg(account)}`),
      keys: {
        list: (org: string, account: string) =>
          all<ServiceAccountKey>(`/api/v1/orgs/${seg(org)}/service-accounts/${seg(account)}/keys`),
        create: (org: string, account: string, body: { name?: string; expiresIn?: string }) =>
          call<CreatedServiceAccountKey>(
            'POST',
            `/api/v1/orgs/${seg(org)}/service-accounts/${seg(account)}/keys`,
            body,
          ),
        revoke: (org: string, account: string, keyId: string) =>
          call<ServiceAccountKey>(
            'DELETE',
            `/api/v1/orgs/${seg(org)}/service-accounts/${seg(account)}/keys/${seg(keyId)}`,
          ),
      },
    },
    /** App API keys of one project (`project` is its id or name). */
    apiKeys: {
      list: (org: string, project: string, filter: { scope?: string; env?: string; status?: string } = {}) =>
        all<ApiKey>(`/api/v1/orgs/${seg(org)}/projects/${seg(project)}/api-keys`, filter),
      create: (
        org: string,
        project: string,
        body: {
          name: string;
          scope: string;
          environment: string;
          expiresIn?: string;
          metadata?: Record<string, string>;
        },
      ) => call<CreatedApiKey>('POST', `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/api-keys`, body),
      rotate: (org: string, project: string, id: string, body: { gracePeriod?: string }) =>
        call<CreatedApiKey>(
          'POST',
          `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/api-keys/${seg(id)}/rotate`,
          body,
        ),
      revoke: (org: string, project: string, id: string) =>
        call<ApiKey>('DELETE', `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/api-keys/${seg(id)}`),
    },
    projects: {
      list: (org: string) => all<Project>(`/api/v1/orgs/${seg(org)}/projects`),
      get: (org: string, project: string) =>
        call<Project>('GET', `/api/v1/orgs/${seg(org)}/projects/${seg(project)}`),
      create: (org: string, body: { name: string; keyPrefix?: string }) =>
        call<Project>('POST', `/api/v1/orgs/${seg(org)}/projects`, body),
    },
    environments: {
      list: (org: string, project: string) =>
        all<Environment>(`/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments`),
      create: (org: string, project: string, name: string) =>
        call<Environment>('POST', `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments`, { name }),
      delete: (org: string, project: string, env: string, force: boolean) =>
        call<DeletedEnvironment>(
          'DELETE',
          `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments/${seg(env)}${force ? '?force=true' : ''}`,
        ),
    },
    manifests: {
      get: (org: string, project: string, env: string) =>
        call<ManifestVersion>(
          'GET',
          `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments/${seg(env)}/manifest`,
        ),
      push: (org: string, project: string, env: string, manifest: unknown) =>
        call<PushedManifest>(
          'POST',
          `/api/v1/orgs/${seg(org)}/projects/${seg(project)}/environments/${seg(env)}/manifest`,
          manifest,
        ),
    },
    /** An environment's secrets; `env` is its name. Values only ever go in bodies, never URLs. */
    secrets: {
      async list(org: string, project: string, env: string): Promise<SecretList> {
        const path = `${envPath(org, project, env)}/secrets`;
        let cursor: string | null = null;
        let first: SecretList | undefined;
        do {
          const qs: string = new URLSearchParams({ limit: '500', ...(cursor ? { cursor } : {}) }).toString();
          const page: SecretList = await call<SecretList>('GET', `${path}?${qs}`);
          if (first) first.items.push(...page.items);
          else first = page;
          cursor = page.nextCursor;
        } while (cursor);
        return { ...first!, nextCursor: null };
      },
      get: (org: string, project: string, env: string, name: string, version?: number) =>
        call<SecretValue>(
          'GET',
          `${envPath(org, project, env)}/secrets/${seg(name)}${version ? `?version=${version}` : ''}`,
        ),
      set: (org: string, project: string, env: string, name: string, value: string) =>
        call<SecretChange>('PUT', `${envPath(org, project, env)}/secrets/${seg(name)}`, { value }),
      unset: (org: string, project: string, env: string, name: string) =>
        call<SecretChange>('DELETE', `${envPath(org, project, env)}/secrets/${seg(name)}`),
      async history(org: string, project: string, env: string, name: string, reveal: boolean) {
        const path = `${envPath(org, project, env)}/secrets/${seg(name)}/history`;
        let cursor: string | null = null;
        let first: SecretHistory | undefined;
        do {
          const query = new URLSearchParams({
            limit: '500',
            ...(reveal ? { reveal: 'true' } : {}),
            ...(cursor ? { cursor } : {}),
          });
          const page: SecretHistory = await call<SecretHistory>('GET', `${path}?${query}`);
          if (first) first.items.push(...page.items);
          else first = page;
          cursor = page.nextCursor;
        } while (cursor);
        return first!;
      },
      rollback: (org: string, project: string, env: string, name: string, version: number) =>
        call<SecretChange>('POST', `${envPath(org, project, env)}/secrets/${seg(name)}/rollback`, {
          version,
        }),
      import: (org: string, project: string, env: string, content: string, dryRun: boolean) =>
        call<ImportedSecrets>('POST', `${envPath(org, project, env)}/secrets/import`, { content, dryRun }),
      /** The current release's values (`latch run`, export), or the newest ones with `latest`. */
      released: (org: string, project: string, env: string, latest: boolean) =>
        call<ReleasedSecrets>(
          'GET',
          `${envPath(org, project, env)}/released-secrets${latest ? '?latest=true' : ''}`,
        ),
    },
    releases: {
      deploy: (org: string, project: string, env: string, body: { message?: string; manifest?: unknown }) =>
        call<Deployed>('POST', `${envPath(org, project, env)}/deploy`, body),
      list: (org: string, project: string, env?: string) =>
        all<Release>(`/api/v1/orgs/${seg(org)}/projects/${seg(project)}/releases`, env ? { env } : {}),
      rollback: (org: string, project: string, env: string, release: string) =>
        call<Deployed>('POST', `${envPath(org, project, env)}/releases/${seg(release)}/rollback`),
    },
    oauth: {
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
          return { ok: false, error: d.error, description };
        }
        throw oauthFailure(base, '/oauth/token', status, data);
      },
      /** RFC 7009: the server answers 200 whatever the token's state. */
      async revoke(token: string): Promise<void> {
        const { status, data } = await form('/oauth/revoke', { token, client_id: 'latch-cli' });
        if (status !== 200) throw oauthFailure(base, '/oauth/revoke', status, data);
      },
    },
  };
}

export type Api = ReturnType<typeof createApi>;

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
