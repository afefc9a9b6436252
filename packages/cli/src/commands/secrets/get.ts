import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';
import { secretsTarget, type TargetOptions } from '../../lib/secrets.js';

/** Prints the value alone on stdout (like printenv), so `$(latch secrets get X)` works. */
export async function run(opts: TargetOptions & { name: string; version?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const version = opts.version ? Number(opts.version) : undefined;
  const secret = await io.api.call(endpoints.secrets.get, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env, name: opts.name.trim() },
    query: version ? { version } : {},
  });
  io.result(secret, (s) => s.value);
}
