import type { LeafSpec, OptionSpec } from '../registry.js';

const serverOptions: OptionSpec[] = [
  { flags: '--port <port>', description: 'port to listen on (0 picks a free one)', int: true },
  { flags: '--host <host>', description: 'address to listen on' },
  { flags: '--data-dir <dir>', description: 'data folder' },
];

export const SERVERS: LeafSpec[] = [
  {
    name: 'dev',
    summary: 'start a local server for development (embedded PostgreSQL, dev sign-in)',
    options: serverOptions,
    load: () => import('../commands/server/dev.js'),
    bare: true,
  },
  {
    name: 'server',
    summary: 'start a production server',
    options: serverOptions,
    load: () => import('../commands/server/start.js'),
    bare: true,
    subcommands: [
      {
        name: 'rotate-master-key',
        summary: 're-wrap every data key with a new master key (works while servers run)',
        options: [
          { flags: '--new-key-file <file>', description: 'file holding the new key (32 bytes, base64)' },
          { flags: '--data-dir <dir>', description: 'data folder of an embedded database or dev server' },
        ],
        load: () => import('../commands/server/rotate-master-key.js'),
        bare: true,
        help: [
          '',
          "The current key is LATCH_MASTER_KEY (or the dev data folder's master.key); the database is",
          'LATCH_DATABASE_URL, else the embedded one in the data folder, else DATABASE_URL.',
          '',
          'Example:',
          '  openssl rand -base64 32 > new.key',
          '  LATCH_MASTER_KEY=… DATABASE_URL=… latch server rotate-master-key --new-key-file new.key',
        ].join('\n'),
      },
      {
        name: 'reset-password',
        summary: 'print a one-time link that lets an account choose a new password',
        args: [{ syntax: '<email>', key: 'email', description: 'email of the account' }],
        options: [{ flags: '--data-dir <dir>', description: 'data folder of an embedded database' }],
        load: () => import('../commands/server/reset-password.js'),
        bare: true,
        help: [
          '',
          'For servers that send no email (no LATCH_SMTP_URL); with mail, people reset their own from the',
          'sign-in page. The database is found as for rotate-master-key; the link uses LATCH_PUBLIC_URL.',
          '',
          'Example:',
          '  DATABASE_URL=… LATCH_PUBLIC_URL=https://latch.example.com latch server reset-password ann@example.com',
        ].join('\n'),
      },
    ],
  },
];
