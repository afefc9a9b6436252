import { basename } from 'node:path';
import type { Manifest } from '@latchkey/core';

import { ApiError, type Deployed, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { findConfigFile, type Importer, loadManifest } from '../../lib/manifest-file.js';
import { CONFIG_OPTION, PROJECT_OPTION } from '../../lib/options.js';
import { resolveOrg } from '../../lib/org.js';
import { findProject, type ProjectSelection } from '../../lib/project.js';
import { checkEnvFlag, listSecrets, plural } from '../../lib/secrets.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'environment (created on its first deploy)' },
    message: { flags: '-m, --message <text>', description: 'why, shown in `latch releases list`' },
    manifest: { flags: '--no-manifest', description: 'do not push latch.config.* even if there is one' },
    config: CONFIG_OPTION,
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch deploy --env staging\n  LATCH_TOKEN=lk_key_… latch deploy --env production --yes -m "v2.3.1"',
});

export type DeployOptions = OptionsOf<typeof spec> & { cwd?: string };

/** What the release will change, for the confirmation question; best effort (a CI key may not see it). */
async function preview(io: Io, sel: ProjectSelection, env: string): Promise<string> {
  try {
    const list = await listSecrets(io, sel.org.ref, sel.project, env);
    const pending = list.items.filter((i) => i.status !== 'live').map((i) => i.name);
    const next = list.release ? `v${list.release.number + 1}` : 'v1';
    return pending.length
      ? `${next} with ${plural(pending.length, 'change')} (${pending.join(', ')})`
      : `${next} (no secret changes)`;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_FOUND') return `v1, creating environment ${env}`;
    return 'a new release';
  }
}

/**
 * `latch deploy --env E`: pushes latch.config.* (when there is one) and makes an immutable
 * release pinning the current version of every secret. Creates the environment on first deploy.
 */
export async function run(opts: DeployOptions, io: Io, deps: { importer?: Importer } = {}): Promise<void> {
  const env = checkEnvFlag(opts.env, 'deploy');
  const cwd = opts.cwd ?? process.cwd();
  let manifest: Manifest | undefined;
  let manifestFile: string | undefined;
  if (opts.manifest !== false && (opts.config || findConfigFile(cwd))) {
    const loaded = await loadManifest(cwd, {
      config: opts.config,
      ...(deps.importer ? { importer: deps.importer } : {}),
    });
    manifest = loaded.manifest;
    manifestFile = basename(loaded.file);
  }
  const found = await findProject(io, opts);
  if (!found && !manifest) {
    throw usageError(
      'No project selected.',
      'Pass --project, set LATCH_PROJECT, run `latch link`, or deploy from a folder with latch.config.*.',
    );
  }
  const sel: ProjectSelection = found ?? {
    org: await resolveOrg(io),
    project: manifest!.project,
    source: 'config',
    linked: null,
  };
  const what = io.yes ? 'a new release' : await preview(io, sel, env);
  await io.confirm(`Deploy ${what} to ${sel.project}/${env}${manifestFile ? ` with ${manifestFile}` : ''}?`);

  const spinner = io.spinner(`Deploying to ${sel.project}/${env}…`);
  let deployed: Deployed;
  try {
    deployed = await io.api.call(endpoints.releases.deploy, {
      params: { org: sel.org.ref, project: sel.project, env },
      body: {
        ...(opts.message ? { message: opts.message } : {}),
        ...(manifest ? { manifest } : {}),
      },
    });
  } finally {
    spinner.stop();
  }
  io.result(deployed, () => undefined);
  const c = io.err;
  const { added, changed, removed } = deployed.changes;
  if (deployed.environmentCreated)
    io.note(`${c.green('✓')} Created environment ${c.bold(env)} (first deploy).`);
  const manifestNote =
    deployed.manifestVersion === null
      ? 'no access manifest'
      : `manifest v${deployed.manifestVersion}${deployed.manifestChanged ? ' (new)' : ''}`;
  io.note(
    `${c.green('✓')} Released ${c.bold(`v${deployed.number}`)} to ${sel.project}/${env}: ${plural(deployed.variables, 'secret')}, ${manifestNote}.`,
  );
  io.note(
    `  ${added.length} added, ${changed.length} changed, ${removed.length} removed${[...added, ...changed, ...removed].length ? `: ${[...added, ...changed, ...removed].join(', ')}` : ''}`,
  );
}
