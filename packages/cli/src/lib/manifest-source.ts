import { basename } from 'node:path';
import type { Manifest } from '@latchkey/core';
import { endpoints } from '@latchkey/core';
import { day } from './format.js';
import type { Io } from './io.js';
import { type Importer, loadManifest } from './manifest-file.js';
import { chooseEnvironments, requireProject } from './project.js';

export type ManifestSourceOptions = {
  env?: string;
  local?: boolean;
  config?: string;
  project?: string;
  cwd?: string;
};

/**
 * The manifest `latch scopes list` and `latch routes` show: the one in force for an environment
 * (as pushed), or with --local the project's config file, validated as the server would.
 */
export async function manifestFor(
  io: Io,
  opts: ManifestSourceOptions,
  importer?: Importer,
): Promise<{ manifest: Manifest; from: string }> {
  if (opts.local) {
    const loaded = await loadManifest(opts.cwd ?? process.cwd(), {
      config: opts.config,
      ...(importer ? { importer } : {}),
    });
    return { manifest: loaded.manifest, from: basename(loaded.file) };
  }
  const sel = await requireProject(io, opts);
  const [env] = await chooseEnvironments(io, sel, opts.env);
  const pushed = await io.api.call(endpoints.manifests.get, {
    params: { org: sel.org.ref, project: sel.project, env: env!.name },
  });
  return {
    // The server stores only manifests it validated.
    manifest: pushed.manifest as unknown as Manifest,
    from: `${sel.project}/${env!.name} v${pushed.version}, pushed ${day(pushed.pushedAt)}${pushed.pushedBy ? ` by ${pushed.pushedBy}` : ''}`,
  };
}
