import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const serverSetup = `${root}packages/server/test/global-setup.ts`;
// No LATCH_* from the shell, a scratch home, config folder and working folder (test/setup/isolate.ts).
const isolate = `${root}test/setup/isolate.ts`;

export default defineConfig({
  resolve: {
    // Tests run against the packages' sources, so a change needs no build first.
    alias: [{ find: /^@latchkey\/(core|server|sdk|cli)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'], setupFiles: [isolate] },
      },
      {
        extends: true,
        test: {
          name: 'sdk',
          include: ['packages/sdk/test/**/*.test.ts'],
          setupFiles: [isolate],
          // Verifier and adapter tests talk to a real Latchkey server on the test run's PostgreSQL.
          globalSetup: [serverSetup],
          testTimeout: 15_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['packages/server/test/**/*.test.ts'],
          globalSetup: [serverSetup],
          testTimeout: 15_000,
          // A file's first database may have to build the migrated template.
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: [isolate],
          globalSetup: [serverSetup],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file starts real server processes; running them one at a time keeps ports and CPU calm.
          fileParallelism: false,
        },
      },
    ],
  },
});
