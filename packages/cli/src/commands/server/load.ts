import type { OptionDef } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';

export type ServerOptions = { port?: number; host?: string; dataDir?: string };
type ServerModule = {
  runDev(opts: ServerOptions): Promise<void>;
  runServer(opts: ServerOptions): Promise<void>;
};

// A variable specifier keeps the server (Fastify, pg, embedded PostgreSQL) out of the bundle and
// out of type-checking of the CLI: it is loaded only by `latch dev` / `latch server`.
const SERVER_PACKAGE = '@latchkey/server';

export async function loadServer(): Promise<ServerModule> {
  try {
    return (await import(SERVER_PACKAGE)) as ServerModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(SERVER_PACKAGE)) {
      throw new CliError('The Latchkey server package (@latchkey/server) is not installed next to latch.', {
        hint: 'Install it (`npm i @latchkey/server`), or in the repository run `npm run build`.',
        code: 'SERVER_MISSING',
      });
    }
    throw err;
  }
}

/** `latch dev` and `latch server` take the same flags: they differ only in what they start. */
export const SERVER_OPTIONS = {
  port: { flags: '--port <port>', description: 'port to listen on (0 picks a free one)', int: true },
  host: { flags: '--host <host>', description: 'address to listen on' },
  dataDir: { flags: '--data-dir <dir>', description: 'data folder' },
} as const satisfies Record<string, OptionDef>;

/** Passes only what the user gave: the server owns defaults and LATCH_PORT/HOST/DATA_DIR. */
export function serverOptions(opts: ServerOptions): ServerOptions {
  return {
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  };
}
