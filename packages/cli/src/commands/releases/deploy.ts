import { basename } from 'node:path';
import type { Manifest } from '@latchkey/core';

import { ApiError, type Deployed, type DeployPreview, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { findConfigFile, type Importer, loadManifest } from '../../lib/manifest-file.js';
import { CONFIG_OPTION, PROJECT_OPTION } from '../../lib/options.js';
import { resolveOrg } from '../../lib/org.js';
import { findProject, type ProjectSelection } from '../../lib/project.js';
import { diffLines } from '../../lib/release-diff.js';
import { checkEnvFlag, plural } from '../../lib/secrets.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'environment (created on its first deploy)' },
    message: { flags: '-m, --message <text>', description: 'why, shown in `latch releases list`' },
    manifest: { flags: '--no-manifest', description: 'do not push latch.config.* even if there is one' },
    dryRun: { flags: '--dry-run', description: 'only show what would change; make no release' },
    allowEmpty: { flags: '--allow-empty', description: 'make a release even when nothing changed' },
    config: CONFIG_OPTION,
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch deploy --env staging\n  latch deploy --env production --dry-run --json   # the diff, no release\n  LATCH_TOKEN=lk_key_… latch deploy --env production --yes -m "v2.3.1"',
});

export type DeployOptions = OptionsOf<typeof spec> & { cwd?: string };

const NO_CHANGES: DeployPreview['diff'] = {
  secrets: { added: [], changed: [], removed: [] },
  scopes: { added: [], removed: [], changed: [] },
  routes: { added: [], removed: [], changed: [] },
  empty: true,
};

/**
 * What the deploy would change against the live release. Null when the server cannot say (an
 * unknown project answers 404 and the deploy itself then explains; a key without deploy:read).
 */
async function preview(
  io: Io,
  sel: ProjectSelection,
  env: string,
  manifest: Manifest | undefined,
): Promise<DeployPreview | null> {
  try {
    return await io.api.call(endpoints.releases.preview, {
      params: { org: sel.org.ref, project: sel.project, env },
      body: manifest ? { manifest } : {},
    });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_FOUND') {
      // No such project (yet): the deploy answers for itself; until then it reads as a first deploy.
      return {
        environment: { name: env, exists: false },
        live: null,
        next: 1,
        diff: NO_CHANGES,
        undoesRollback: null,
        undoing: [],
        refusals: [],
      };
    }
    if (err instanceof ApiError && err.code === 'FORBIDDEN') return null;
    throw err;
  }
}

/** The human account of a preview, on stderr, before the question. */
function showPreview(io: Io, where: string, p: DeployPreview | null): string {
  const c = io.err;
  if (!p) return 'a new release';
  if (!p.environment.exists) {
    io.note(`${where} does not exist yet: this first deploy creates it as v1.`);
  } else {
    io.note(`Changes against ${p.live ? `v${p.live.number} (live)` : 'nothing (no release yet)'}:`);
  }
  const lines = diffLines(c, p.diff);
  if (lines.length) io.note(lines.join('\n'));
  else if (p.environment.exists) io.note(`  ${c.dim('(none)')}`);
  if (p.undoesRollback !== null) {
    io.warn(
      `v${p.live!.number} is a rollback to v${p.undoesRollback}. Deploying will undo that rollback: it brings back the newer ${p.undoing.join(', ')} from before it. To keep the rollback, run \`latch releases rollback --env ${p.environment.name} --to v${p.undoesRollback}\` (it restores the working set) instead.`,
    );
  }
  // Older servers send no refusals. The deploy itself still checks: this only says so first.
  for (const r of p.refusals ?? []) {
    io.warn(`The deploy would be refused (${r.code}): ${r.message}${r.hint ? ` ${r.hint}` : ''}`);
  }
  return p.environment.exists ? `v${p.next}` : `v1, creating environment ${p.environment.name}`;
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
  const where = `${sel.project}/${env}`;
  const seen = await preview(io, sel, env, manifest);
  if (opts.dryRun) {
    io.result(seen, () => undefined);
    showPreview(io, where, seen);
    if (!seen) io.note('(The server could not preview this deploy; nothing was changed.)');
    else io.note(`Dry run: no release was made.`);
    return;
  }
  if (seen?.live && seen.diff.empty && !opts.allowEmpty) {
    io.result({ ...seen, deployed: false }, () => undefined);
    io.note(
      `Nothing to deploy: ${where} already runs all of this in v${seen.live.number}. Pass --allow-empty to make a release anyway.`,
    );
    return;
  }
  const what = showPreview(io, where, seen);
  await io.confirm(`Deploy ${what} to ${where}${manifestFile ? ` with ${manifestFile}` : ''}?`);

  const spinner = io.spinner(`Deploying to ${sel.project}/${env}…`);
  let deployed: Deployed;
  try {
    deployed = await io.api.call(endpoints.releases.deploy, {
      params: { org: sel.org.ref, project: sel.project, env },
      body: {
        ...(opts.message ? { message: opts.message } : {}),
        ...(manifest ? { manifest } : {}),
        // The server refuses an empty deploy too, should the live release change after the preview.
        allowEmpty: Boolean(opts.allowEmpty),
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
