import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatManifestIssues, type Manifest, type ManifestIssue, validateManifest } from '@latchkey/core';
import type { Message } from 'esbuild';
import { CliError } from './exit.js';

/** Looked for in this order in each folder, from the current one upwards. */
export const CONFIG_FILES = [
  'latch.config.ts',
  'latch.config.mts',
  'latch.config.js',
  'latch.config.mjs',
  'latch.config.json',
] as const;

const SDK_CONFIG = '@latchkey/sdk/config';

export type Importer = (url: string) => Promise<Record<string, unknown>>;

const nativeImport: Importer = (url) => import(url);

export function findConfigFile(cwd: string): string | null {
  let dir = cwd;
  for (;;) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The config file given with --config, or the nearest one; a clear error when there is none. */
export function locateConfigFile(cwd: string, given?: string): string {
  if (given) {
    const file = resolve(cwd, given);
    if (!existsSync(file))
      throw new CliError(`${given} does not exist.`, { hint: 'Check the --config path.' });
    return file;
  }
  const found = findConfigFile(cwd);
  if (!found) {
    throw new CliError('No latch.config.ts, .js or .json found here or in any parent folder.', {
      hint: 'Create one in your project folder (see `defineProject` in @latchkey/sdk/config), or pass --config <file>.',
    });
  }
  return found;
}

/**
 * The file's default export (or the JSON document). JSON is parsed as is. JavaScript and
 * TypeScript are first imported by Node itself; when that fails (Node 20 cannot load .ts, the
 * folder may not have @latchkey/sdk installed, a .js file may be ESM in a CommonJS package) the
 * file is bundled with esbuild, with `@latchkey/sdk/config` mapped to an inline identity
 * `defineProject`, and the result is imported instead.
 */
export async function loadConfigFile(file: string, importer: Importer = nativeImport): Promise<unknown> {
  if (extname(file) === '.json') return parseJson(file);
  let firstError: unknown;
  try {
    return pickDefault(await importer(pathToFileURL(file).href));
  } catch (err) {
    firstError = err;
  }
  try {
    return pickDefault(await importBundled(file, importer));
  } catch (err) {
    throw await cannotLoad(file, err, firstError);
  }
}

/**
 * esbuild's own report when the file does not parse (file:line:column and a code frame): that is
 * the real problem, and Node's complaint about `.ts` is then only noise. When the file parses but
 * throws while running, its error comes first, and Node's first attempt only if it says more.
 */
async function cannotLoad(file: string, err: unknown, firstError: unknown): Promise<CliError> {
  const hint = 'Fix it and run the command again (the file must `export default` the manifest).';
  const messages = (err as { errors?: unknown })?.errors;
  if (Array.isArray(messages) && messages.length > 0) {
    // Loaded here, like the bundling itself: esbuild stays off the CLI's start-up path.
    const { formatMessagesSync } = await import('esbuild');
    const frames = formatMessagesSync(messages as Message[], { kind: 'error', color: false })
      .join('')
      .trimEnd()
      .replace(/^\s*✘ \[ERROR\] /gm, '');
    return new CliError(`Cannot load ${basename(file)}, it has a syntax error:\n${frames}`, {
      code: 'INVALID_MANIFEST',
      hint,
    });
  }
  const reason = (err as Error)?.message ?? String(err);
  const nodeSaid =
    (firstError as { code?: unknown })?.code === 'ERR_UNKNOWN_FILE_EXTENSION'
      ? undefined
      : firstLine((firstError as Error)?.message ?? String(firstError));
  return new CliError(`Cannot load ${basename(file)}: ${reason.trim()}`, {
    hint: nodeSaid && nodeSaid !== firstLine(reason) ? `${hint} Node said first: ${nodeSaid}` : hint,
  });
}

function parseJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${basename(file)} is not valid JSON: ${(err as Error).message}.`, {
      hint: 'Fix the JSON syntax (no comments or trailing commas).',
    });
  }
}

function pickDefault(mod: Record<string, unknown>): unknown {
  return 'default' in mod ? mod.default : mod;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * Bundled next to the config file (like Vite does) so that any packages it imports resolve from
 * the project's node_modules; falls back to the temp folder when the project folder is read-only.
 */
async function importBundled(file: string, importer: Importer): Promise<Record<string, unknown>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [file],
    // Error locations then read `latch.config.ts:2:66`, relative to the file's own folder.
    absWorkingDir: dirname(file),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    plugins: [
      {
        name: 'latch-sdk-config',
        setup(b) {
          b.onResolve({ filter: /^@latchkey\/sdk\/config$/ }, () => ({
            path: SDK_CONFIG,
            namespace: 'latch-shim',
          }));
          b.onLoad({ filter: /.*/, namespace: 'latch-shim' }, () => ({
            contents:
              'export function defineProject(m) { return m; }\nexport function secret(name) { return { $secret: name }; }\nexport default defineProject;\n',
            loader: 'js',
          }));
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.text;
  const name = `.${basename(file)}.${process.pid}.${Date.now()}.mjs`;
  for (const dir of [dirname(file), tmpdir()]) {
    const out = join(dir, name);
    try {
      writeFileSync(out, code);
    } catch {
      continue;
    }
    try {
      return await importer(pathToFileURL(out).href);
    } finally {
      rmSync(out, { force: true });
    }
  }
  throw new Error('cannot write the bundled config to the project folder or the temp folder');
}

export type LoadedManifest = { file: string; manifest: Manifest };

export function invalidManifest(file: string, issues: readonly ManifestIssue[]): CliError {
  const n = issues.length;
  const lines = formatManifestIssues(issues)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  // The list is the message (no separate hint), so it reads the same on a terminal and in --json.
  return new CliError(
    `${basename(file)} is not a valid access manifest; fix ${n === 1 ? 'this field' : `these ${n} fields`}:\n${lines}`,
    { code: 'INVALID_MANIFEST' },
  );
}

/** Finds, loads and validates the project's access manifest, exactly as the server will. */
export async function loadManifest(
  cwd: string,
  opts: { config?: string | undefined; importer?: Importer } = {},
): Promise<LoadedManifest> {
  const file = locateConfigFile(cwd, opts.config);
  const raw = await loadConfigFile(file, opts.importer);
  const checked = validateManifest(raw);
  if (!checked.ok) throw invalidManifest(file, checked.issues);
  return { file, manifest: checked.manifest };
}
