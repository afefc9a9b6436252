import { endpoints, formatDotenv } from '@latchkey/core';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { secretsTarget, type TargetOptions } from '../../lib/secrets.js';

/** The values that run (the current release), or with --latest the newest ones, on stdout. */
export async function run(
  opts: TargetOptions & { format?: string; latest?: boolean },
  io: Io,
): Promise<void> {
  const format = opts.format ?? (io.json ? 'json' : 'dotenv');
  if (format !== 'dotenv' && format !== 'json')
    throw usageError(`--format is dotenv or json (got "${format}").`);
  const target = await secretsTarget(io, opts);
  const released = await io.api.call(endpoints.secrets.released, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env },
    query: opts.latest ? { latest: 'true' } : {},
  });
  const out =
    format === 'json' ? `${JSON.stringify(released.values, null, 2)}\n` : formatDotenv(released.values);
  io.stdout.write(out);
  const from = released.release ? `release v${released.release.number}` : 'the newest versions';
  io.note(io.err.dim(`${Object.keys(released.values).length} values of ${target.where} from ${from}.`));
}
