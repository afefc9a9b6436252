import type { GroupSpec } from '../registry.js';

export const API_KEY_GROUPS: GroupSpec[] = [
  {
    name: 'api-keys',
    summary: "your app's API keys: one declared scope, one environment each",
    commands: [
      {
        name: 'create',
        summary: 'create a key for a declared scope; it is printed once',
        load: () => import('../commands/api-keys/create.js'),
      },
      {
        name: 'list',
        summary: "the project's keys (never the secrets)",
        load: () => import('../commands/api-keys/list.js'),
      },
      {
        name: 'rotate',
        summary: 'give a key a new secret; the old one works for a grace period',
        load: () => import('../commands/api-keys/rotate.js'),
      },
      {
        name: 'revoke',
        summary: 'revoke a key at once, on every server',
        load: () => import('../commands/api-keys/revoke.js'),
      },
    ],
  },
];
