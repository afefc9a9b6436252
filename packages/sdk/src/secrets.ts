import { type FetchLike as CoreFetchLike, createClient, endpoints } from '@latchkey/core';
import type { FetchLike } from './api.js';
import { resolveProject } from './verifier/project.js';

export type LoadSecretsOptions = {
  apiUrl: string;
  /** A credential with secrets:read, e.g. a platform key (`lk_key_…`) of the project's org. */
  token: string;
  project: string;
  environment: string;
  /** Org id or name; default: the token's own org (platform and service-account keys carry one). */
  org?: string;
  /** The newest versions instead of the current release (what the next deploy would pin). */
  latest?: boolean;
  /** Also assign the values into this object (e.g. `process.env`); secrets win over what is there. */
  into?: Record<string, string | undefined>;
  fetch?: FetchLike;
  timeoutMs?: number;
};

/**
 * SPEC 6/7: the environment's released secrets at start-up, the same values `latch run` passes.
 * The read is audited on the server; nothing here logs or caches a value.
 */
export async function loadSecrets(opts: LoadSecretsOptions): Promise<Record<string, string>> {
  const client = createClient({
    baseUrl: opts.apiUrl,
    token: opts.token,
    timeoutMs: opts.timeoutMs ?? 10_000,
    ...(opts.fetch ? { fetch: opts.fetch as CoreFetchLike } : {}),
  });
  const { org, project } = await resolveProject(client, opts.project, opts.org);
  const released = await client.call(endpoints.secrets.released, {
    params: { org, project, env: opts.environment },
    query: opts.latest ? { latest: 'true' } : {},
  });
  if (opts.into) Object.assign(opts.into, released.values);
  return released.values;
}
