import type { LeafSpec } from '../registry.js';

export const SERVERS: LeafSpec[] = [
  {
    name: 'dev',
    summary: 'start a local server for development (embedded PostgreSQL, dev sign-in)',
    load: () => import('../commands/server/dev.js'),
  },
  {
    name: 'server',
    summary: 'start a production server',
    load: () => import('../commands/server/start.js'),
    subcommands: [
      {
        name: 'rotate-master-key',
        summary: 're-wrap every data key with a new master key (works while servers run)',
        load: () => import('../commands/server/rotate-master-key.js'),
      },
      {
        name: 'reset-password',
        summary: 'print a one-time link that lets an account choose a new password',
        load: () => import('../commands/server/reset-password.js'),
      },
    ],
  },
];
