import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';
import { requireProject } from '../../lib/project.js';

export async function run(
  opts: { name: string; force?: boolean; project?: string; cwd?: string },
  io: Io,
): Promise<void> {
  const name = opts.name.trim();
  const sel = await requireProject(io, opts);
  const keys = opts.force ? ' and all its API keys: apps using them are refused at once' : '';
  await io.confirm(
    `Delete environment ${name} of ${sel.project}, with its access manifests, secrets, releases and database (if it has one)${keys}?`,
  );
  // Without --force the server refuses (409) while the environment has API keys, and says so.
  const deleted = await io.api.call(endpoints.environments.delete, {
    params: { org: sel.org.ref, project: sel.project, env: name },
    query: opts.force ? { force: 'true' } : {},
  });
  io.result(deleted, () => undefined);
  const n = deleted.deletedApiKeys;
  const also = n ? ` and ${n} API key${n === 1 ? '' : 's'}` : '';
  io.note(`${io.err.green('✓')} Deleted environment ${io.err.bold(deleted.name)} of ${sel.project}${also}.`);
}
