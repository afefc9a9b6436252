import { flattenRoutes, HTTP_METHODS } from '@latchkey/core';
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
  // Sorted by path, then method: stored manifests do not keep the author's key order.
  const routes = flattenRoutes(manifest)
    .sort(
      (a, b) =>
        a.path.localeCompare(b.path) || HTTP_METHODS.indexOf(a.method) - HTTP_METHODS.indexOf(b.method),
    )
    .map((r) => ({
      method: r.method,
      path: r.path,
      handler: r.handler,
      auth: r.auth,
      scope: r.scope,
      rateLimit: r.rateLimit?.text ?? null,
    }));
  io.note(io.err.dim(`Routes declared in ${from}:`));
  io.result(routes, () => {
    if (routes.length === 0) return 'No routes are declared (add route groups under routes).';
    const c = io.out;
    return io.table(
      ['METHOD', 'PATH', 'HANDLER', 'AUTH', 'RATE LIMIT'],
      routes.map((r) => [
        r.method,
        r.path,
        r.handler,
        r.auth === 'none' ? c.yellow(r.auth) : r.auth,
        r.rateLimit ?? c.dim('none'),
      ]),
      c.dim,
    );
  });
}
