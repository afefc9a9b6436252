import type { GroupSpec, LeafSpec } from '../registry.js';

// Projects, environments and the access manifest (`link` and `routes` are also top-level commands).
export const link: LeafSpec = {
  name: 'link',
  summary: 'link this folder to a project (writes .latch/project.json)',
  load: () => import('../commands/projects/link.js'),
};
export const routes: LeafSpec = {
  name: 'routes',
  summary: "the app's route table: method, path, handler, auth, rate limit",
  load: () => import('../commands/scopes/routes.js'),
};

export const PROJECT_GROUPS: GroupSpec[] = [
  {
    name: 'projects',
    summary: 'projects (apps) in the org',
    commands: [
      { name: 'create', summary: 'create a project', load: () => import('../commands/projects/create.js') },
      {
        name: 'list',
        summary: 'projects in the org (* = linked here)',
        load: () => import('../commands/projects/list.js'),
      },
      link,
      {
        name: 'delete',
        summary: 'delete a project with its environments, secrets and API keys',
        load: () => import('../commands/projects/delete.js'),
      },
    ],
  },
  {
    name: 'env',
    summary: "a project's environments",
    aliases: ['environments'],
    commands: [
      {
        name: 'create',
        summary: 'create an environment (development, staging, production, preview, …)',
        load: () => import('../commands/env/create.js'),
      },
      { name: 'list', summary: "the project's environments", load: () => import('../commands/env/list.js') },
      {
        name: 'promote',
        summary: "copy one environment's values into another as new versions (no deploy)",
        load: () => import('../commands/env/promote.js'),
      },
      {
        name: 'delete',
        summary: 'delete an environment (asks first)',
        load: () => import('../commands/env/delete.js'),
      },
    ],
  },
  {
    name: 'scopes',
    summary: 'API-key scopes declared by the access manifest',
    commands: [
      {
        name: 'push',
        summary: 'validate latch.config and send it to environments',
        load: () => import('../commands/scopes/push.js'),
      },
      {
        name: 'list',
        summary: 'declared scopes with their grants',
        load: () => import('../commands/scopes/list.js'),
      },
      {
        name: 'routes',
        summary: 'the same as `latch routes`',
        load: () => import('../commands/scopes/routes.js'),
      },
    ],
  },
];
