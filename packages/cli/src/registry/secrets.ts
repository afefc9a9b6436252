import type { GroupSpec, LeafSpec } from '../registry.js';

// Secrets, releases, runs (SPEC section 7).
export const deploy: LeafSpec = {
  name: 'deploy',
  summary: 'make a release: push latch.config, pin the current secret versions',
  load: () => import('../commands/releases/deploy.js'),
};
export const runLeaf: LeafSpec = {
  name: 'run',
  summary: "run a command with the environment's released secrets",
  load: () => import('../commands/secrets/run.js'),
};

// `latch logs` (issue 12): an environment's verifications, denials, audit events and releases.
export const logsLeaf: LeafSpec = {
  name: 'logs',
  summary: "an environment's events: verifications, denials, rate limits, audit, releases (--tail follows)",
  load: () => import('../commands/logs/logs.js'),
};

export const SECRET_GROUPS: GroupSpec[] = [
  {
    name: 'secrets',
    summary: "an environment's secrets: encrypted, versioned, live at the next deploy",
    commands: [
      {
        name: 'set',
        summary: 'set a secret (a new version; live at the next deploy)',
        load: () => import('../commands/secrets/set.js'),
      },
      {
        name: 'diff',
        summary: "two environments' secrets side by side (names; values with --reveal, audited)",
        load: () => import('../commands/secrets/diff.js'),
      },
      {
        name: 'get',
        summary: 'print a value (the read is audited)',
        load: () => import('../commands/secrets/get.js'),
      },
      {
        name: 'list',
        summary: 'names, masked values, versions, and what waits for the next deploy',
        load: () => import('../commands/secrets/list.js'),
      },
      {
        name: 'unset',
        summary: 'remove a secret (a new version; gone at the next deploy)',
        load: () => import('../commands/secrets/unset.js'),
      },
      {
        name: 'history',
        summary: "a secret's versions: who, when, which releases",
        load: () => import('../commands/secrets/history.js'),
      },
      {
        name: 'rollback',
        summary: "make a new version with an older version's value",
        load: () => import('../commands/secrets/rollback.js'),
      },
      {
        name: 'import',
        summary: 'import a .env file (reports added, changed, unchanged)',
        load: () => import('../commands/secrets/import.js'),
      },
      {
        name: 'export',
        summary: 'print the released values as .env or JSON',
        load: () => import('../commands/secrets/export.js'),
      },
    ],
  },
  {
    name: 'releases',
    summary: 'releases made by `latch deploy`',
    commands: [
      {
        name: 'list',
        summary: 'releases, newest first (* = in force)',
        load: () => import('../commands/releases/list.js'),
      },
      {
        name: 'rollback',
        summary: "make a new release with an older release's contents",
        load: () => import('../commands/releases/rollback.js'),
      },
      {
        name: 'diff',
        summary: 'what changed between two releases (names and versions, scopes, routes)',
        load: () => import('../commands/releases/diff.js'),
      },
    ],
  },
];
