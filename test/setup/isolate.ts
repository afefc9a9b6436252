import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Every CLI, SDK and e2e test file runs as a stranger to this machine: no `LATCH_*` variable from
 * the shell, no CI flag, a fresh home and config folder, and a scratch working folder, so a
 * `latch link` or `latch login` done by hand (the README's tour) cannot change what a test sees.
 */
for (const name of Object.keys(process.env)) {
  if (name.startsWith('LATCH_') && name !== 'LATCH_TEST_DATABASE_URL') delete process.env[name];
}
delete process.env.CI;
delete process.env.XDG_CONFIG_HOME;

const scratch = mkdtempSync(join(tmpdir(), 'latch-test-home-'));
process.env.HOME = scratch;
process.env.LATCH_CONFIG_DIR = join(scratch, 'config');
const work = join(scratch, 'work');
mkdirSync(work);
process.chdir(work);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});
