import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError, usageError } from '../../lib/exit.js';
import { loadServer } from './load.js';

export const spec = defineCommand({
  options: {
    newKeyFile: {
      flags: '--new-key-file <file>',
      description: 'file holding the new key (32 bytes, base64)',
    },
    dataDir: { flags: '--data-dir <dir>', description: 'data folder of an embedded database or dev server' },
  },
  help: "\nThe current key is LATCH_MASTER_KEY (or the dev data folder's master.key); the database is\nLATCH_DATABASE_URL, else the embedded one in the data folder, else DATABASE_URL.\n\nExample:\n  openssl rand -base64 32 > new.key\n  LATCH_MASTER_KEY=… DATABASE_URL=… latch server rotate-master-key --new-key-file new.key",
  bare: true,
});

type RotateResult = {
  rewrapped: number;
  webhookSecrets?: number;
  keyId: string;
  keyFileUpdated: string | null;
  database: string;
};
type Rotating = {
  rotateMasterKeyCommand(opts: { newKeyFile: string; dataDir?: string }): Promise<RotateResult>;
};

/**
 * `latch server rotate-master-key --new-key-file F`: runs next to the database, not through the
 * API (the master key never travels over HTTP). Works while servers run.
 */
export async function run(opts: OptionsOf<typeof spec>): Promise<void> {
  if (!opts.newKeyFile) {
    throw usageError(
      'Say where the new key is: --new-key-file <file>.',
      'Make one with: openssl rand -base64 32 > new.key (and keep it safe).',
    );
  }
  const server = (await loadServer()) as unknown as Rotating;
  let result: RotateResult;
  try {
    result = await server.rotateMasterKeyCommand({
      newKeyFile: opts.newKeyFile,
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    });
  } catch (err) {
    // Start-up style errors are written for operators: show them as they are.
    if ((err as Error).name === 'StartupError') throw new CliError((err as Error).message);
    throw err;
  }
  const n = result.rewrapped;
  const w = result.webhookSecrets ?? 0;
  const lines = [
    `Re-wrapped ${n} data key${n === 1 ? '' : 's'} in ${result.database} with the new master key (key id ${result.keyId}), in one transaction; no secret value was re-encrypted.`,
    `Sealed the signing secrets of ${w} webhook endpoint${w === 1 ? '' : 's'} under the new key (in the same transaction); nodes still on the old key hold their deliveries until restarted with the new one.`,
    'The old key no longer opens anything in this database.',
    result.keyFileUpdated
      ? `Updated ${result.keyFileUpdated}; the dev server picks it up by itself.`
      : 'Set LATCH_MASTER_KEY to the new key before the next start. Running servers keep serving until then.',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
