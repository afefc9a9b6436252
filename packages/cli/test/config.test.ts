import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigStore, configDir, withoutAuth } from '../src/lib/config.js';
import { CliError } from '../src/lib/exit.js';
import { tempDir } from './helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('config file', () => {
  it('creates the folder 0700 and the file 0600', () => {
    const dir = join(tempDir(), 'nested', 'latch');
    const store = new ConfigStore(dir);
    store.update({ apiUrl: 'http://127.0.0.1:7420', token: 'lk_pat_secret' });
    expect(mode(dir)).toBe(0o700);
    expect(mode(store.path)).toBe(0o600);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({ token: 'lk_pat_secret' });
  });

  it('tightens a folder and file that were too open', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'config.json'), '{}', { mode: 0o644 });
    new ConfigStore(dir).update({ token: 't' });
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'config.json'))).toBe(0o600);
  });

  it('replaces the file atomically: no temp files left, the new content whole', () => {
    const dir = tempDir();
    const store = new ConfigStore(dir);
    for (let i = 0; i < 20; i++) store.update({ counter: i });
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(new ConfigStore(dir).data.counter).toBe(19);
  });

  it('keeps the old file, and leaves no temp file, when writing the new one fails', () => {
    const dir = tempDir();
    const store = new ConfigStore(dir);
    store.update({ apiUrl: 'http://old' });
    // A value JSON cannot encode makes the write fail; the old file must be untouched.
    expect(() => store.update({ apiUrl: 'http://new', bad: 1n })).toThrow(CliError);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).apiUrl).toBe('http://old');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('keeps the old file when the folder is not writable', () => {
    const dir = tempDir();
    const store = new ConfigStore(dir);
    store.update({ apiUrl: 'http://old' });
    chmodSync(dir, 0o500); // the temp file cannot be created
    try {
      if (process.getuid?.() === 0) return; // root ignores folder permissions
      expect(() => store.update({ apiUrl: 'http://new' })).toThrow(CliError);
      expect(JSON.parse(readFileSync(store.path, 'utf8')).apiUrl).toBe('http://old');
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('keeps fields it does not know', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ links: { '/src/app': 'prj_1' } }));
    const store = new ConfigStore(dir);
    store.update({ token: 't' });
    expect(new ConfigStore(dir).data).toEqual({ links: { '/src/app': 'prj_1' }, token: 't' });
  });

  it('says how to recover from a broken file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), '{ nope');
    expect(() => new ConfigStore(dir)).toThrow(/not a JSON object/);
  });

  it('finds the folder: LATCH_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDir({ LATCH_CONFIG_DIR: '/a', XDG_CONFIG_HOME: '/b', HOME: '/h' })).toBe('/a');
    expect(configDir({ XDG_CONFIG_HOME: '/b', HOME: '/h' })).toBe('/b/latch');
    expect(configDir({ HOME: '/h' })).toBe('/h/.config/latch');
  });

  it('withoutAuth drops exactly the auth fields', () => {
    const cfg = {
      apiUrl: 'http://x',
      token: 't',
      tokenId: 'pat_1',
      tokenExpiresAt: '2027-01-01',
      user: { id: 'u', email: 'e' },
      activeOrg: { id: 'org_1', name: 'acme' },
    };
    expect(withoutAuth(cfg)).toEqual({ apiUrl: 'http://x', activeOrg: { id: 'org_1', name: 'acme' } });
  });

  it('a folder it cannot create is reported with what to do', () => {
    const base = tempDir();
    writeFileSync(join(base, 'blocker'), 'x');
    const store = new ConfigStore(join(base, 'blocker', 'latch'));
    let err: CliError | undefined;
    try {
      store.update({ token: 't' });
    } catch (e) {
      err = e as CliError;
    }
    expect(err?.message).toMatch(/^Cannot write the config file .*blocker/);
    expect(err?.hint).toContain('LATCH_CONFIG_DIR');
  });
});
