import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { loadServer, serverOptions } from './load.js';

export const spec = defineCommand({
  options: {
    port: { flags: '--port <port>', description: 'port to listen on (0 picks a free one)', int: true },
    host: { flags: '--host <host>', description: 'address to listen on' },
    dataDir: { flags: '--data-dir <dir>', description: 'data folder' },
  },
  bare: true,
});

export async function run(opts: OptionsOf<typeof spec>): Promise<void> {
  const server = await loadServer();
  await server.runDev(serverOptions(opts));
}
