#!/usr/bin/env node
// `npm run bench`: runs every benchmark folder's run.mjs in turn (or only those named:
// `node bench/run.mjs verify-http`). Each prints its numbers and writes its own section of
// bench/RESULTS.md; this exits non-zero if any of them failed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
// Long runs (the 30-minute soak, the 1,000,000-key sizing) run only when named.
const longRuns = ['soak', 'sizing'];
const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.mjs')))
  .map((d) => d.name)
  .filter((name) => (wanted.length === 0 ? !longRuns.includes(name) : wanted.includes(name)))
  .sort();

if (benches.length === 0) {
  console.error(
    wanted.length ? `No benchmark named ${wanted.join(', ')} in bench/.` : 'No benchmarks in bench/.',
  );
  process.exit(1);
}

let current;
let interrupted = false;
// Passed on, so a benchmark can stop the servers it started (it may also get the terminal's own).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}

const failed = [];
for (const name of benches) {
  if (interrupted) break;
  console.log(`\n=== ${name} ===`);
  current = spawn(process.execPath, [join(here, name, 'run.mjs')], { stdio: 'inherit' });
  const code = await new Promise((resolve) => current.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) failed.push(name);
}
if (failed.length || interrupted) {
  console.error(
    `\n${interrupted ? 'Interrupted. ' : ''}${failed.length ? `Failed: ${failed.join(', ')}` : ''}`,
  );
  process.exit(1);
}
