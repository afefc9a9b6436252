import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/lib/exit.js';
import { findConfigFile, type Importer, loadConfigFile, loadManifest } from '../src/lib/manifest-file.js';
import { failure, tempDir } from './helpers.js';

const MANIFEST = {
  project: 'acme',
  apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } },
  routes: [{ prefix: '/v1', auth: 'apiKey:read', routes: { 'GET /tasks': 'listTasks' } }],
};

/** Node 20 as it really is: it cannot import .ts files. Everything else goes through the real import. */
const node20: Importer = async (url) => {
  if (url.endsWith('.ts') || url.endsWith('.mts')) {
    throw Object.assign(new TypeError(`Unknown file extension ".ts" for ${url}`), {
      code: 'ERR_UNKNOWN_FILE_EXTENSION',
    });
  }
  return import(/* @vite-ignore */ url);
};

function project(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('loading latch.config', () => {
  it('reads latch.config.json as JSON, and says where the syntax is wrong', async () => {
    const dir = project({ 'latch.config.json': JSON.stringify(MANIFEST) });
    expect((await loadManifest(dir)).manifest).toMatchObject({ project: 'acme' });
    const broken = project({ 'latch.config.json': '{ "project": "acme", }' });
    const err = await failure(loadManifest(broken));
    expect(err.message).toMatch(/latch\.config\.json is not valid JSON/);
  });

  it('imports latch.config.js (ESM) with its default export', async () => {
    const dir = project({
      'package.json': '{"type":"module"}',
      'latch.config.js': `export default ${JSON.stringify(MANIFEST)};`,
    });
    expect((await loadManifest(dir, { importer: node20 })).manifest.routes).toHaveLength(1);
  });

  it('loads a .js config that imports @latchkey/sdk/config even where the SDK is not installed', async () => {
    const dir = project({
      'package.json': '{"type":"module"}',
      'latch.config.mjs': `import { defineProject } from '@latchkey/sdk/config';\nexport default defineProject(${JSON.stringify(MANIFEST)});`,
    });
    let nativeTries = 0;
    const noSdk: Importer = async (url) => {
      if (url.includes('latch.config.mjs') && !url.includes(`.latch.config.mjs.`)) {
        nativeTries++;
        throw Object.assign(new Error("Cannot find package '@latchkey/sdk'"), {
          code: 'ERR_MODULE_NOT_FOUND',
        });
      }
      return import(/* @vite-ignore */ url);
    };
    expect((await loadManifest(dir, { importer: noSdk })).manifest.project).toBe('acme');
    expect(nativeTries).toBe(1);
  });

  it('transpiles latch.config.ts when Node cannot load TypeScript, with local imports, and cleans up', async () => {
    const dir = project({
      'scopes.ts': `export const scopes = { read: { grants: { Task: ['read'] as string[] } } } satisfies Record<string, unknown>;\n`,
      'latch.config.ts': [
        "import { defineProject } from '@latchkey/sdk/config';",
        "import { scopes } from './scopes';",
        'type Group = { prefix: string; auth: string; routes: Record<string, string> };',
        "const v1: Group = { prefix: '/v1', auth: 'apiKey:read', routes: { 'GET /tasks': 'listTasks' } };",
        "export default defineProject({ project: 'acme', apiKeys: { scopes }, routes: [v1] });",
      ].join('\n'),
    });
    const loaded = await loadManifest(dir, { importer: node20 });
    expect(loaded.file).toBe(join(dir, 'latch.config.ts'));
    expect(loaded.manifest).toEqual({ ...MANIFEST });
    expect(readdirSync(dir).sort()).toEqual(['latch.config.ts', 'scopes.ts']);
  });

  it('uses Node directly when it can load the file', async () => {
    const dir = project({ 'latch.config.ts': `export default ${JSON.stringify(MANIFEST)};` });
    const seen: string[] = [];
    const typescriptAware: Importer = async (url) => {
      seen.push(url);
      return { default: MANIFEST };
    };
    expect(await loadConfigFile(join(dir, 'latch.config.ts'), typescriptAware)).toEqual(MANIFEST);
    expect(seen).toEqual([`file://${join(dir, 'latch.config.ts')}`]);
  });

  it('reports a file that does not run, naming it', async () => {
    const dir = project({ 'latch.config.ts': 'export default {{{ not typescript' });
    const err = await failure(loadManifest(dir, { importer: node20 }));
    expect(err.message).toMatch(/^Cannot load latch\.config\.ts/);
  });

  it('shows a syntax error with its file, line, column and a code frame, not Node\'s ".ts" complaint', async () => {
    const dir = project({
      'latch.config.ts':
        "const scopes = { read: { grants: { Task: ['read'] } } };\nexport default { project: 'acme', apiKeys: { scopes }, routes: [] ;\n",
    });
    const err = await failure(loadManifest(dir, { importer: node20 }));
    expect(err.message).toMatch(/^Cannot load latch\.config\.ts, it has a syntax error:/);
    expect(err.message).toMatch(/\n\s*latch\.config\.ts:2:66:\n/);
    // The code frame: the offending line as written, and a caret under the spot.
    expect(err.message).toContain("export default { project: 'acme', apiKeys: { scopes }, routes: [] ;");
    expect(err.message).toMatch(/│ +\^\n/);
    expect(`${err.message} ${err.hint}`).not.toMatch(/Unknown file extension|Node said/);
  });

  it('shows the error a config file throws while running', async () => {
    const dir = project({
      'latch.config.ts': "throw new Error('no PROJECT_NAME set');\nexport default {};\n",
    });
    const err = await failure(loadManifest(dir, { importer: node20 }));
    expect(err.message).toBe('Cannot load latch.config.ts: no PROJECT_NAME set');
    expect(err.hint).not.toMatch(/Unknown file extension/);
  });

  it('prints every bad field of an invalid manifest, exit 1', async () => {
    const bad = structuredClone(MANIFEST) as typeof MANIFEST & {
      routes: { routes: Record<string, unknown> }[];
    };
    bad.routes[0]!.prefix = 'v1';
    bad.routes[0]!.routes['FETCH /x'] = 'x';
    const dir = project({ 'latch.config.json': JSON.stringify(bad) });
    const err = await failure(loadManifest(dir));
    expect(err.exitCode).toBe(EXIT.error);
    expect(err.code).toBe('INVALID_MANIFEST');
    expect(err.message).toBe(
      [
        'latch.config.json is not a valid access manifest; fix these 2 fields:',
        '  routes[0].prefix: "v1" must start with /',
        '  routes[0].routes["FETCH /x"]: method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
      ].join('\n'),
    );
    const undeclared = structuredClone(MANIFEST);
    undeclared.routes[0]!.auth = 'apiKey:reed';
    const err2 = await failure(loadManifest(project({ 'latch.config.json': JSON.stringify(undeclared) })));
    expect(err2.message).toContain('routes[0].auth: scope "reed" is not declared; declared: read');
  });

  it('finds the nearest config file upwards, preferring .ts, and says when there is none', async () => {
    const dir = project({
      'latch.config.json': '{}',
      'latch.config.ts': 'export default {}',
      'src/deep/x.txt': '',
    });
    expect(findConfigFile(join(dir, 'src', 'deep'))).toBe(join(dir, 'latch.config.ts'));
    const err = await failure(loadManifest(tempDir()));
    expect(err.message).toContain('No latch.config.ts, .js or .json found');
    expect(err.hint).toContain('--config');
  });
});
