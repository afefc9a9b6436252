// Runs before `npm start` and `npm test`: installs and builds only what is out of date, so a fresh
// clone needs one command and an unchanged tree costs a few stat calls. Node built-ins only: it
// runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// Workspace order: core first, since the others import it. `web` is the dashboard (Vite).
const PACKAGES = ['core', 'sdk', 'server', 'cli', 'web'];

const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;

/** Newest and oldest modification times of the files under dir (0 and 0 when there are none). */
function times(dir) {
  let newest = 0;
  let oldest = Number.POSITIVE_INFINITY;
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const t = mtime(full);
        if (t > newest) newest = t;
        if (t < oldest) oldest = t;
      }
    }
  };
  walk(dir);
  return { newest, oldest: newest ? oldest : 0 };
}

/**
 * Runs npm. With `quiet`, its output (a build prints ~150 lines) is kept and shown only when it
 * fails, so the first `npm start` shows one line per step, then the server's banner.
 */
function run(args, { quiet = false, label = `npm ${args.join(' ')}` } = {}) {
  console.error(`> ${label}`);
  const started = Date.now();
  const result = spawnSync('npm', args, {
    cwd: root,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    shell: process.platform === 'win32',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    console.error(`> ${label} failed${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(result.status ?? 1);
  }
  if (quiet) console.error(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// npm writes node_modules/.package-lock.json on every install: older than the lockfile means the
// lockfile changed since (a pull, a branch switch).
const installed = mtime(path.join(root, 'node_modules', '.package-lock.json'));
if (!installed || installed < mtime(path.join(root, 'package-lock.json'))) run(['ci']);

const buildable = PACKAGES.map((name) => path.join(root, 'packages', name)).filter(
  (dir) => mtime(path.join(dir, 'src', 'index.ts')) || mtime(path.join(dir, 'index.html')),
);
const stale = buildable.filter((dir) => {
  const sources = Math.max(
    times(path.join(dir, 'src')).newest,
    mtime(path.join(dir, 'package.json')),
    mtime(path.join(dir, 'tsup.config.ts')),
    mtime(path.join(dir, 'vite.config.ts')),
    mtime(path.join(dir, 'index.html')),
    // The dashboard bundles core's contract from source.
    path.basename(dir) === 'web' ? times(path.join(root, 'packages', 'core', 'src')).newest : 0,
  );
  // The oldest output, not the newest: a build that died half-way leaves some files behind.
  const output = times(path.join(dir, 'dist')).oldest;
  return !output || output < sources;
});
// Everything buildable is rebuilt, in order: packages may bundle each other's code.
if (stale.length > 0)
  run(['run', 'build', ...buildable.map((dir) => `--workspace=${path.relative(root, dir)}`)], {
    quiet: !process.env.LATCH_BUILD_VERBOSE,
    label: `building ${buildable.map((dir) => path.basename(dir)).join(', ')}`,
  });
