import type { GroupSpec, LeafSpec } from '../registry.js';
import { CONFIG_OPTION, MANIFEST_SOURCE_OPTIONS, PROJECT_OPTION } from './options.js';

// Projects, environments and the access manifest (`link` and `routes` are also top-level commands).
export const link: LeafSpec = {
  name: 'link',
  summary: 'link this folder to a project (writes .latch/project.json)',
  args: [{ syntax: '[project]', key: 'project', description: 'project name or id (asks when omitted)' }],
  load: () => import('../commands/projects/link.js'),
};
export const routes: LeafSpec = {
  name: 'routes',
  summary: "the app's route table: method, path, handler, auth, rate limit",
  options: MANIFEST_SOURCE_OPTIONS,
  load: () => import('../commands/scopes/routes.js'),
};
export const PROJECT_GROUPS: GroupSpec[] = [
  {
    name: 'projects',
    summary: 'projects (apps) in the org',
    commands: [
      {
        name: 'create',
        summary: 'create a project',
        args: [{ syntax: '<name>', key: 'name', description: 'lowercase letters, digits and dashes' }],
        options: [
          {
            flags: '--prefix <prefix>',
            description: "its API keys' prefix (default: from the name, e.g. acme_)",
          },
        ],
        load: () => import('../commands/projects/create.js'),
      },
      {
        name: 'list',
        summary: 'projects in the org (* = linked here)',
        load: () => import('../commands/projects/list.js'),
      },
      link,
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
        args: [{ syntax: '<name>', key: 'name', description: 'environment name' }],
        options: [PROJECT_OPTION],
        load: () => import('../commands/env/create.js'),
      },
      {
        name: 'list',
        summary: "the project's environments",
        options: [PROJECT_OPTION],
        load: () => import('../commands/env/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete an environment (asks first)',
        args: [{ syntax: '<name>', key: 'name', description: 'environment name' }],
        options: [{ flags: '--force', description: 'also delete its API keys' }, PROJECT_OPTION],
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
        options: [
          {
            flags: '--env <name...>',
            description: 'environments to push to (repeatable; default: the only one)',
          },
          CONFIG_OPTION,
          PROJECT_OPTION,
        ],
        load: () => import('../commands/scopes/push.js'),
        help: '\nExamples:\n  latch scopes push --env staging\n  latch scopes push --env staging --env production',
      },
      {
        name: 'list',
        summary: 'declared scopes with their grants',
        options: MANIFEST_SOURCE_OPTIONS,
        load: () => import('../commands/scopes/list.js'),
      },
      { ...routes, summary: 'the same as `latch routes`' },
    ],
  },
];
