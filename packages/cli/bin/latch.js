#!/usr/bin/env node
// The committed bin target, so `npm install` links `node_modules/.bin/latch` even before the CLI
// is built (npm skips a bin whose file does not exist yet). It only forwards to the built CLI.
try {
  await import('../dist/latch.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.url ?? err.message).includes('dist/latch.js'))
    throw err;
  process.stderr.write(
    'error: latch is not built yet.\nRun `npm start` (or `node scripts/bootstrap.mjs`) in the repository first.\n',
  );
  process.exitCode = 1;
}
