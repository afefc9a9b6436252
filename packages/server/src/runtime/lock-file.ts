import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from './startup-error.js';

export type DataDirLock = {
  /** Records the URL once known, for the "already running" message of the next one. */
  setUrl(url: string): Promise<void>;
  release(): Promise<void>;
};

type Holder = { pid: number; url?: string };

/**
 * `<dataDir>/latch.lock` says which process serves a data folder. Created with O_EXCL so two
 * starts cannot both win; a lock whose process is gone (crash, kill -9) is taken over. It is
 * advisory: the embedded PostgreSQL's postmaster.pid stays the hard guard of the database files.
 */
export async function lockDataDir(dataDir: string, what: string): Promise<DataDirLock> {
  const file = path.join(dataDir, 'latch.lock');
  const holder: Holder = { pid: process.pid };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(JSON.stringify(holder));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    // Right after O_EXCL the other starter may not have written its pid yet: look twice.
    const other = (await readHolder(file)) ?? (await delay(100).then(() => readHolder(file)));
    if (other && (await isAlive(other.pid))) {
      throw new StartupError(
        `A ${what} is already running in ${dataDir} (pid ${other.pid}, ${other.url ?? 'still starting'}). ` +
          'Stop it first, or use --data-dir for a second one.',
      );
    }
    await unlink(file).catch(() => {});
  }

  return {
    async setUrl(url) {
      holder.url = url;
      // Replaced by rename, so a reader never sees a half-written file.
      await writeFile(`${file}.${process.pid}`, JSON.stringify(holder));
      await rename(`${file}.${process.pid}`, file);
    },
    async release() {
      // Only our own lock: after a takeover the file may belong to someone else.
      if ((await readHolder(file))?.pid === process.pid) await unlink(file).catch(() => {});
    },
  };
}

async function readHolder(file: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Holder;
    return Number.isInteger(parsed.pid) ? parsed : null;
  } catch {
    return null;
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function isAlive(pid: number): Promise<boolean> {
  // After a container restart our own pid may be the one in a stale lock.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // After a reboot the pid may belong to an unrelated program; on Linux, check it is a Node process.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  return cmdline === null || /node|latch/.test(cmdline);
}
