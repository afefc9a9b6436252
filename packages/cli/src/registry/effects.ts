import type { GroupSpec } from '../registry.js';

/** Outbound webhooks and background deliveries. */
export const EFFECT_GROUPS: GroupSpec[] = [
  {
    name: 'webhooks',
    summary: 'outbound webhook endpoints, signed with Standard Webhooks',
    commands: [
      {
        name: 'create',
        summary: 'create an endpoint; its signing secret is printed once',
        load: () => import('../commands/webhooks/create.js'),
      },
      { name: 'list', summary: "the org's endpoints", load: () => import('../commands/webhooks/list.js') },
      {
        name: 'update',
        summary: 'change URL, events, or enable/disable',
        load: () => import('../commands/webhooks/update.js'),
      },
      { name: 'delete', summary: 'delete an endpoint', load: () => import('../commands/webhooks/delete.js') },
      { name: 'test', summary: 'send a ping event', load: () => import('../commands/webhooks/test.js') },
      {
        name: 'rotate-secret',
        summary: 'new signing secret; both sign for 24 h',
        load: () => import('../commands/webhooks/rotate-secret.js'),
      },
    ],
  },
  {
    name: 'effects',
    summary: 'background deliveries: status, attempts, retry, replay',
    commands: [
      {
        name: 'status',
        summary: 'counts by state, oldest pending, rate, latest failures',
        load: () => import('../commands/effects/status.js'),
      },
      { name: 'list', summary: 'effects, newest first', load: () => import('../commands/effects/list.js') },
      {
        name: 'show',
        summary: 'one effect and every attempt',
        load: () => import('../commands/effects/show.js'),
      },
      {
        name: 'retry',
        summary: 'attempt a dead or failed effect again now',
        load: () => import('../commands/effects/retry.js'),
      },
      {
        name: 'replay',
        summary: 'send again what an endpoint was sent since a time',
        load: () => import('../commands/effects/replay.js'),
      },
      {
        name: 'cancel',
        summary: 'cancel a pending or retrying effect',
        load: () => import('../commands/effects/cancel.js'),
      },
      {
        name: 'purge',
        summary: 'delete finished effects older than a duration (effects:manage)',
        load: () => import('../commands/effects/purge.js'),
      },
    ],
  },
];
