import type { GroupSpec } from '../registry.js';
import { PROJECT_OPTION } from './options.js';

// Literals, not core's: importing core here would put it on the start-up path.
const API_KEY_STATUSES = ['active', 'expiring', 'rotating', 'expired', 'revoked'] as const;

export const API_KEY_GROUPS: GroupSpec[] = [
  {
    name: 'api-keys',
    summary: "your app's API keys: one declared scope, one environment each",
    commands: [
      {
        name: 'create',
        summary: 'create a key for a declared scope; it is printed once',
        args: [{ syntax: '[name]', key: 'nameArg', description: 'key name (or --name)' }],
        options: [
          { flags: '-n, --name <name>', description: 'key name' },
          {
            flags: '-s, --scope <scope>',
            description: "one of the environment's declared scopes (`latch scopes list`)",
          },
          { flags: '--env <name>', description: 'environment (default: the only one)' },
          {
            flags: '--expires <duration>',
            description:
              "lifetime: 90d, 12h, or a day count (default: none, or the creating key's or scoped token's own)",
          },
          {
            flags: '--meta <key=value...>',
            description: 'metadata returned by every verification (repeatable)',
          },
          PROJECT_OPTION,
        ],
        load: () => import('../commands/api-keys/create.js'),
        help: '\nExamples:\n  latch api-keys create "Warehouse sync" --scope read --env production --expires 90d\n  latch api-keys create --name billing --scope billing.export --meta customer=acme > key',
      },
      {
        name: 'list',
        summary: "the project's keys (never the secrets)",
        options: [
          { flags: '-s, --scope <scope>', description: 'only keys of this scope' },
          { flags: '--env <name>', description: 'only keys of this environment' },
          { flags: '--status <status>', description: 'only keys in this state', choices: API_KEY_STATUSES },
          PROJECT_OPTION,
        ],
        load: () => import('../commands/api-keys/list.js'),
      },
      {
        name: 'rotate',
        summary: 'give a key a new secret; the old one works for a grace period',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch api-keys list`)' }],
        options: [
          {
            flags: '--grace-period <duration>',
            description: 'how long the old secret keeps working: 0 to 30d (default 24h)',
          },
          PROJECT_OPTION,
        ],
        load: () => import('../commands/api-keys/rotate.js'),
      },
      {
        name: 'revoke',
        summary: 'revoke a key at once, on every server',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch api-keys list`)' }],
        options: [PROJECT_OPTION],
        load: () => import('../commands/api-keys/revoke.js'),
      },
    ],
  },
];
