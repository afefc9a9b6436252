import { basename } from 'node:path';

import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { type Importer, loadManifest } from '../../lib/manifest-file.js';
import { CONFIG_OPTION, PROJECT_OPTION } from '../../lib/options.js';
import { resolveOrg } from '../../lib/org.js';
import {
  chooseEnvironments,
  describeSelection,
  findProject,
  type ProjectSelection,
} from '../../lib/project.js';

export const spec = defineCommand({
  options: {
    env: {
      flags: '--env <name...>',
      description: 'environments to push to (repeatable; default: the only one)',
    },
    config: CONFIG_OPTION,
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch scopes push --env staging\n  latch scopes push --env staging --env production',
});

export type PushOptions = OptionsOf<typeof spec> & { cwd?: string };

export async function run(opts: PushOptions, io: Io, deps: { importer?: Importer } = {}): Promise<void> {
  const cwd = opts.cwd ?? process.cwd();
  // Validated locally first: a bad field is reported before anything is sent.
  const { file, manifest } = await loadManifest(cwd, {
    config: opts.config,
    ...(deps.importer ? { importer: deps.importer } : {}),
  });
  const name = basename(file);
  const found = await findProject(io, opts);
  const sel: ProjectSelection = found ?? {
    org: await resolveOrg(io),
    project: manifest.project,
    source: 'config',
    linked: null,
  };
  // An id cannot be compared locally; the server checks that case.
  if (
    sel.source !== 'config' &&
    !sel.project.startsWith('prj_') &&
    sel.project.toLowerCase() !== manifest.project
  ) {
    throw usageError(
      `${name} declares project ${manifest.project}, but the selected project is ${describeSelection(sel)}.`,
      `Fix \`project\` in ${name}, or pass --project ${manifest.project}.`,
    );
  }
  const envs = await chooseEnvironments(io, sel, opts.env, { many: true });
  const results = [];
  for (const env of envs) {
    const pushed = await io.api.call(endpoints.manifests.push, {
      params: { org: sel.org.ref, project: sel.project, env: env.name },
      body: manifest,
    });
    const { manifest: _content, ...summary } = pushed;
    results.push(summary);
    const counts = `${pushed.scopes.length} scope${pushed.scopes.length === 1 ? '' : 's'}, ${pushed.routeCount} route${pushed.routeCount === 1 ? '' : 's'}`;
    if (pushed.changed) {
      io.note(
        `${io.err.green('✓')} Pushed ${name} to ${io.err.bold(env.name)} as v${pushed.version} (${counts}).`,
      );
    } else {
      io.note(
        `${io.err.dim('=')} ${io.err.bold(env.name)} already has this manifest (v${pushed.version}, ${counts}).`,
      );
    }
  }
  io.result(results, () => undefined);
}
