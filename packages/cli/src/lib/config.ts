import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './exit.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:7420';

export type Config = {
  apiUrl?: string;
  token?: string;
  tokenId?: string;
  tokenExpiresAt?: string | null;
  user?: { id: string; email: string } | null;
  activeOrg?: { id: string; name: string } | null;
  /** Fields this version does not know (e.g. per-directory links) are kept as they are. */
  [key: string]: unknown;
};

/** The fields `latch logout` removes; everything else (API URL, active org) survives it. */
export const AUTH_FIELDS = ['token', 'tokenId', 'tokenExpiresAt', 'user'] as const;

export type Env = Record<string, string | undefined>;

export function configDir(env: Env): string {
  if (env.LATCH_CONFIG_DIR) return env.LATCH_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'latch');
}

export function withoutAuth(config: Config): Config {
  const next = { ...config };
  for (const field of AUTH_FIELDS) delete next[field];
  return next;
}

export class ConfigStore {
  readonly dir: string;
  readonly path: string;
  data: Config;

  constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, 'config.json');
    this.data = readConfig(this.path);
  }

  /** Shallow-merges `patch` and writes at once; `replace` is the way to drop fields. */
  update(patch: Partial<Config>): Config {
    this.replace({ ...this.data, ...patch });
    return this.data;
  }

  replace(next: Config): void {
    writeConfig(this.dir, this.path, next);
    this.data = next;
  }
}

function readConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return {};
    throw new CliError(`Cannot read the config file ${path} (${(err as Error).message}).`, {
      hint: 'Check its permissions, or point LATCH_CONFIG_DIR at another folder.',
    });
  }
  try {
    const data: unknown = JSON.parse(text);
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Config;
  } catch {
    // fall through to the one message below
  }
  throw new CliError(`The config file ${path} is not a JSON object.`, {
    hint: 'Fix it, or delete it and run `latch login` again.',
  });
}

/**
 * The file holds a bearer token, so: folder 0700, file 0600, and the new content goes to a
 * temp file in the same folder that is renamed over the old one. A crash mid-write therefore
 * leaves the old file or the new one, never half of either, and the token is never briefly
 * world-readable (the temp file is created 0600, not chmod-ed after the fact).
 */
function writeConfig(dir: string, path: string, config: Config): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode only applies to a folder it creates; tighten one that already existed.
    chmodSync(dir, 0o700);
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // the umask could only narrow 0600, but be explicit
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable; there is no temp file to clean up
    }
    throw new CliError(`Cannot write the config file ${path} (${(err as Error).message}).`, {
      hint: 'Check the folder permissions, or point LATCH_CONFIG_DIR at a writable folder.',
    });
  }
}
