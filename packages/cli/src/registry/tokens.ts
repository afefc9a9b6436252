import type { GroupSpec } from '../registry.js';

/** Credentials: personal access tokens, platform keys, service accounts and their keys. */
export const TOKEN_GROUPS: GroupSpec[] = [
  {
    name: 'pats',
    summary: 'personal access tokens',
    commands: [
      {
        name: 'list',
        summary: 'your tokens (never the secrets)',
        load: () => import('../commands/pats/list.js'),
      },
      {
        name: 'create',
        summary: 'create a token; it is printed once',
        args: [{ syntax: '[name]', key: 'nameArg', description: 'token name (or --name)' }],
        options: [
          { flags: '-n, --name <name>', description: 'token name' },
          {
            flags: '--expires <duration>',
            description:
              'lifetime: 90d, 12h, or a day count (default 120d; a scoped token makes none that outlive it)',
          },
          {
            flags: '-s, --scope <scope...>',
            description: 'cap the token to these permissions, e.g. deploy:write',
          },
        ],
        load: () => import('../commands/pats/create.js'),
        help: '\nExamples:\n  latch pats create "CI deploys" --expires 90d -s deploy:write\n  latch pats create laptop --json',
      },
      {
        name: 'revoke',
        summary: 'revoke a token at once',
        args: [{ syntax: '<id>', key: 'id', description: 'token id (see `latch pats list`)' }],
        load: () => import('../commands/pats/revoke.js'),
      },
    ],
  },
  {
    name: 'keys',
    summary: 'platform keys for CI and automation (lk_key_…)',
    commands: [
      {
        name: 'create',
        summary: 'create a key with scopes; it is printed once',
        args: [{ syntax: '[name]', key: 'nameArg', description: 'key name (or --name)' }],
        options: [
          { flags: '-n, --name <name>', description: 'key name' },
          {
            flags: '-s, --scope <scope...>',
            description: 'permissions the key has, e.g. deploy:write,secrets:read (never more than yours)',
          },
          {
            flags: '--expires <duration>',
            description:
              "lifetime: 90d, 12h, or a day count (default: none, or the creating key's or scoped token's own)",
          },
        ],
        load: () => import('../commands/keys/create.js'),
        help: '\nExamples:\n  latch keys create "GitHub Actions" -s deploy:write,secrets:read --expires 90d\n  LATCH_TOKEN=lk_key_… latch keys list',
      },
      {
        name: 'list',
        summary: "the org's platform keys (never the secrets), with status",
        load: () => import('../commands/keys/list.js'),
      },
      {
        name: 'revoke',
        summary: 'revoke a key at once',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch keys list`)' }],
        load: () => import('../commands/keys/revoke.js'),
      },
      {
        name: 'rotate',
        summary: 'give a key a new secret; the old one works for a grace period',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch keys list`)' }],
        options: [
          {
            flags: '--grace-period <duration>',
            description: 'how long the old secret keeps working: 0 to 30d (default 24h)',
          },
        ],
        load: () => import('../commands/keys/rotate.js'),
      },
    ],
  },
  {
    name: 'service-accounts',
    summary: 'service accounts: automation that acts with a role and outlives people',
    commands: [
      {
        name: 'create',
        summary: 'create a service account',
        args: [{ syntax: '<name>', key: 'name', description: 'account name' }],
        options: [
          {
            flags: '-r, --role <role>',
            description: 'role it acts with (required)',
            choices: ['admin', 'developer', 'viewer'],
          },
        ],
        load: () => import('../commands/service-accounts/create.js'),
      },
      {
        name: 'list',
        summary: "the org's service accounts",
        load: () => import('../commands/service-accounts/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete a service account and revoke its keys',
        args: [{ syntax: '<id-or-name>', key: 'account', description: 'account id or name' }],
        load: () => import('../commands/service-accounts/delete.js'),
      },
    ],
    groups: [
      {
        name: 'keys',
        summary: "a service account's keys (lk_sa_…)",
        commands: [
          {
            name: 'create',
            summary: 'create a key; it is printed once',
            args: [{ syntax: '<account>', key: 'account', description: 'account id or name' }],
            options: [
              { flags: '-n, --name <name>', description: "key name (default: the account's name)" },
              {
                flags: '--expires <duration>',
                description:
                  "lifetime: 90d, 12h, or a day count (default: none, or the creating key's or scoped token's own)",
              },
            ],
            load: () => import('../commands/service-accounts/keys/create.js'),
          },
          {
            name: 'list',
            summary: "the account's keys (never the secrets)",
            args: [{ syntax: '<account>', key: 'account', description: 'account id or name' }],
            load: () => import('../commands/service-accounts/keys/list.js'),
          },
          {
            name: 'revoke',
            summary: 'revoke a key at once',
            args: [
              { syntax: '<account>', key: 'account', description: 'account id or name' },
              {
                syntax: '<keyId>',
                key: 'keyId',
                description: 'key id (see `latch service-accounts keys list`)',
              },
            ],
            load: () => import('../commands/service-accounts/keys/revoke.js'),
          },
        ],
      },
    ],
  },
];
