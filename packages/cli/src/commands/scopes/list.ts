import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import type { Importer } from '../../lib/manifest-file.js';
import { manifestFor } from '../../lib/manifest-source.js';
import { MANIFEST_SOURCE_OPTIONS } from '../../lib/options.js';

export const spec = defineCommand({
  options: {
    ...MANIFEST_SOURCE_OPTIONS,
  },
});

export async function run(
  opts: OptionsOf<typeof spec> & { cwd?: string },
  io: Io,
  deps: { importer?: Importer } = {},
): Promise<void> {
  const { manifest, from } = await manifestFor(io, opts, deps.importer);
  const scopes = Object.entries(manifest.apiKeys.scopes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({ name, grants: s.grants, description: s.description ?? null }));
  io.note(io.err.dim(`Scopes declared in ${from}:`));
  io.result(scopes, () => {
    if (scopes.length === 0) return 'No API-key scopes are declared (add them under apiKeys.scopes).';
    return io.table(
      ['SCOPE', 'GRANTS', 'DESCRIPTION'],
      scopes.map((s) => [
        s.name,
        Object.entries(s.grants)
          .map(([entity, actions]) => `${entity}:${actions.join(',')}`)
          .join(' '),
        s.description ?? '',
      ]),
      io.out.dim,
    );
  });
}
