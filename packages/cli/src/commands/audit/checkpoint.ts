import { writeFileSync } from 'node:fs';
import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  options: {
    out: { flags: '-o, --out <file>', description: 'write the checkpoint to this file (default: stdout)' },
  },
  help: `
Asks the server to sign its audit chain's head now. Keep the file somewhere Latchkey's database
admins cannot write (another system, a ticket, a WORM bucket): \`latch audit verify
--from-checkpoint FILE\` later proves no row up to it was changed, removed or cut off.

Examples:
  latch audit checkpoint --out checkpoint-$(date +%F).json`,
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const cp = await io.api.call(endpoints.audit.checkpoint, { params: { org: org.ref } });
  const text = `${JSON.stringify(cp, null, 2)}\n`;
  if (!opts.out) {
    io.stdout.write(text);
    return;
  }
  try {
    // wx: never overwrite a kept checkpoint by accident.
    writeFileSync(opts.out, text, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EEXIST'
        ? `${opts.out} already exists.`
        : `Cannot write ${opts.out} (${code ?? String(err)}).`,
      {
        hint:
          code === 'EEXIST'
            ? 'Pick another file name; a kept checkpoint is never overwritten.'
            : 'Check the folder exists and is writable.',
      },
    );
  }
  io.result(
    { file: opts.out, ...cp },
    () => `Checkpoint of ${org.label} at seq ${cp.seq} (${cp.keyId}) written to ${opts.out}.`,
  );
}
