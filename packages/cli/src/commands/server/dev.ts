import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { loadServer, SERVER_OPTIONS, serverOptions } from './load.js';

export const spec = defineCommand({
  options: SERVER_OPTIONS,
  bare: true,
});

export async function run(opts: OptionsOf<typeof spec>): Promise<void> {
  const server = await loadServer();
  await server.runDev(serverOptions(opts));
}
