import { API_KEY_METADATA_LIMITS, API_KEY_SCOPE_RE, EXPIRY_BOUNDS, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import { checkDuration, nameFrom } from '../../lib/flags.js';
import type { Io } from '../../lib/io.js';
import { KEY_EXPIRES_OPTION, PROJECT_OPTION } from '../../lib/options.js';
import { chooseEnvironments, requireProject } from '../../lib/project.js';
import { printCreated } from '../../lib/shown-once.js';

export const spec = defineCommand({
  args: {
    nameArg: { syntax: '[name]', description: 'key name (or --name)' },
  },
  options: {
    name: { flags: '-n, --name <name>', description: 'key name' },
    scope: {
      flags: '-s, --scope <scope>',
      description: "one of the environment's declared scopes (`latch scopes list`)",
    },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    expires: KEY_EXPIRES_OPTION,
    meta: {
      flags: '--meta <key=value...>',
      description: 'metadata returned by every verification (repeatable)',
    },
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch api-keys create "Warehouse sync" --scope read --env production --expires 90d\n  latch api-keys create --name billing --scope billing.export --meta customer=acme > key',
});

export type CreateApiKeyOptions = OptionsOf<typeof spec>;

const EXAMPLE = 'latch api-keys create "Warehouse sync" --scope read --env production --meta customer=acme';

/** `--meta k=v` (repeatable) → an object; checked here with the server's limits, before any request. */
export function parseMeta(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const meta: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq) : '';
    if (!API_KEY_METADATA_LIMITS.keyPattern.test(key)) {
      throw usageError(
        `--meta "${item}" is not key=value with a key of 1–40 letters, digits, _ . -.`,
        'If it is the name, put the name first or pass --name. Example: --meta customer=acme --meta tier=gold',
      );
    }
    const value = item.slice(eq + 1);
    if (value.length > API_KEY_METADATA_LIMITS.maxValueLength)
      throw usageError(`--meta ${key}: values are at most 500 characters.`);
    meta[key] = value;
  }
  if (Object.keys(meta).length > API_KEY_METADATA_LIMITS.maxKeys) throw usageError('At most 20 --meta keys.');
  return meta;
}

export async function run(opts: CreateApiKeyOptions, io: Io): Promise<void> {
  const name = nameFrom(opts.nameArg, opts.name, 'An API key', EXAMPLE);
  const scope = opts.scope?.trim();
  if (!scope)
    throw usageError('An API key needs one --scope, declared by the project.', `Example: ${EXAMPLE}`);
  if (!API_KEY_SCOPE_RE.test(scope)) {
    throw usageError(
      `"${scope}" is not a scope name (e.g. read, writer, orders:read).`,
      'Run `latch scopes list` to see the declared ones.',
    );
  }
  const expiresIn = checkDuration(
    '--expires',
    opts.expires,
    EXPIRY_BOUNDS.key,
    `${EXAMPLE} --expires 90d (1h to 365d)`,
  );
  const metadata = parseMeta(opts.meta);
  const sel = await requireProject(io, { project: opts.project });
  const [env] = await chooseEnvironments(io, sel, opts.env);
  // The server refuses a scope the environment does not declare, and its message lists them.
  const key = await io.api.call(endpoints.apiKeys.create, {
    params: { org: sel.org.ref, project: sel.project },
    body: {
      name,
      scope,
      environment: env!.name,
      ...(expiresIn ? { expiresIn } : {}),
      ...(metadata ? { metadata } : {}),
    },
  });
  printCreated(
    io,
    key,
    'key',
    (expires) =>
      `Created API key ${io.err.bold(key.name)} (${key.id}) for ${sel.project}/${key.environment}: scope ${key.scope}; ${expires}.`,
  );
}
