import { loadServer, type ServerOptions, serverOptions } from './load.js';

export async function run(opts: ServerOptions): Promise<void> {
  const server = await loadServer();
  await server.runDev(serverOptions(opts));
}
