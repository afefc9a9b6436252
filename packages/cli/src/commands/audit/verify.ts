import { readFileSync } from 'node:fs';
import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError, EXIT, usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  options: {
    fromCheckpoint: {
      flags: '--from-checkpoint <file>',
      description: 'also prove the chain still reaches a checkpoint kept earlier',
    },
  },
  help: `
Walks the org's hash chain from its first row and names the first row that does not fit: one
edited, deleted, inserted or reordered in the database, or rows cut off after a checkpoint.
Exits 1 when the chain is broken. Recorded as audit.verified.

Examples:
  latch audit verify
  latch audit verify --from-checkpoint checkpoint-2026-12-01.json --json`,
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const checkpoint = opts.fromCheckpoint === undefined ? undefined : readCheckpoint(opts.fromCheckpoint);
  const org = await resolveOrg(io);
  const result = await io.api.call(endpoints.audit.verify, {
    params: { org: org.ref },
    body: checkpoint ? { checkpoint } : {},
  });
  io.result(result, () => {
    const c = io.out;
    if (result.ok) {
      const against = result.checkpoint ? `; it reaches the checkpoint at seq ${result.checkpoint.seq}` : '';
      return `${c.green('✓')} The audit chain of ${org.label} is intact: ${result.rows} rows up to seq ${result.head.seq}${against}.`;
    }
    const bad = result.firstBad!;
    const where = bad.seq === null ? `row ${bad.id}` : `seq ${bad.seq}${bad.id ? ` (row ${bad.id})` : ''}`;
    return `${c.red('✗')} The audit chain of ${org.label} is broken at ${where}: ${bad.reason}. ${bad.detail}`;
  });
  if (!result.ok) io.setExitCode(EXIT.error);
}

function readCheckpoint(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(
      `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
      'Pass the file written by `latch audit checkpoint --out FILE`.',
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError(`${file} is not a checkpoint (not a JSON object).`, {
    exitCode: EXIT.usage,
    hint: 'Pass the file written by `latch audit checkpoint --out FILE`, unchanged.',
  });
}
