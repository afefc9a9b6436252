import type { Io } from '../../lib/io.js';
import { secretsTarget, type TargetOptions } from '../../lib/secrets.js';

/** Prints the value alone on stdout (like printenv), so `$(latch secrets get X)` works. */
export async function run(opts: TargetOptions & { name: string; version?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const version = opts.version ? Number(opts.version) : undefined;
  const secret = await io.api.secrets.get(
    target.sel.org.ref,
    target.sel.project,
    target.env,
    opts.name.trim(),
    version,
  );
  io.result(secret, (s) => s.value);
}
