import { CliError, usageError } from '../../lib/exit.js';
import { loadServer } from './load.js';

type RotateResult = { rewrapped: number; keyId: string; keyFileUpdated: string | null; database: string };
type Rotating = {
  rotateMasterKeyCommand(opts: { newKeyFile: string; dataDir?: string }): Promise<RotateResult>;
};

/**
 * `latch server rotate-master-key --new-key-file F`: runs next to the database, not through the
 * API (the master key never travels over HTTP). Works while servers run.
 */
export async function run(opts: { newKeyFile?: string; dataDir?: string }): Promise<void> {
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
  const lines = [
    `Re-wrapped ${n} data key${n === 1 ? '' : 's'} in ${result.database} with the new master key (key id ${result.keyId}), in one transaction; no secret value was re-encrypted.`,
    'The old key no longer opens anything in this database.',
    result.keyFileUpdated
      ? `Updated ${result.keyFileUpdated}; the dev server picks it up by itself.`
      : 'Set LATCH_MASTER_KEY to the new key before the next start. Running servers keep serving until then.',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
