import type { ArgSpec, GroupSpec, LeafSpec, OptionSpec } from '../registry.js';
import { CONFIG_OPTION, PROJECT_OPTION } from './options.js';

// Secrets, releases, runs (SPEC section 7).
const ENV_OPTION: OptionSpec = { flags: '--env <name>', description: 'environment (default: the only one)' };
const SECRET_NAME: ArgSpec = { syntax: '<name>', key: 'name', description: 'UPPER_SNAKE_CASE name' };
export const SECRET_GROUPS: GroupSpec[] = [
  {
    name: 'secrets',
    summary: "an environment's secrets: encrypted, versioned, live at the next deploy",
    commands: [
      {
        name: 'set',
        summary: 'set a secret (a new version; live at the next deploy)',
        args: [SECRET_NAME, { syntax: '[value]', key: 'value', description: 'the value; - reads stdin' }],
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('../commands/secrets/set.js'),
        help: '\nExamples:\n  latch secrets set STRIPE_SECRET_KEY sk_live_123 --env production\n  pbpaste | latch secrets set STRIPE_SECRET_KEY - --env production   # stays out of shell history',
      },
      {
        name: 'get',
        summary: 'print a value (the read is audited)',
        args: [SECRET_NAME],
        options: [{ flags: '--version <n>', description: 'an older version' }, ENV_OPTION, PROJECT_OPTION],
        load: () => import('../commands/secrets/get.js'),
      },
      {
        name: 'list',
        summary: 'names, masked values, versions, and what waits for the next deploy',
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('../commands/secrets/list.js'),
      },
      {
        name: 'unset',
        summary: 'remove a secret (a new version; gone at the next deploy)',
        args: [SECRET_NAME],
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('../commands/secrets/unset.js'),
      },
      {
        name: 'history',
        summary: "a secret's versions: who, when, which releases",
        args: [SECRET_NAME],
        options: [
          { flags: '--reveal', description: 'show the values too (audited)' },
          ENV_OPTION,
          PROJECT_OPTION,
        ],
        load: () => import('../commands/secrets/history.js'),
      },
      {
        name: 'rollback',
        summary: "make a new version with an older version's value",
        args: [SECRET_NAME],
        options: [
          { flags: '--version <n>', description: 'the version whose value to restore' },
          ENV_OPTION,
          PROJECT_OPTION,
        ],
        load: () => import('../commands/secrets/rollback.js'),
      },
      {
        name: 'import',
        summary: 'import a .env file (reports added, changed, unchanged)',
        args: [{ syntax: '<file>', key: 'file', description: '.env file, or - for stdin' }],
        options: [
          { flags: '--dry-run', description: 'report without changing anything' },
          ENV_OPTION,
          PROJECT_OPTION,
        ],
        load: () => import('../commands/secrets/import.js'),
      },
      {
        name: 'export',
        summary: 'print the released values as .env or JSON',
        options: [
          { flags: '--format <format>', description: 'dotenv or json', choices: ['dotenv', 'json'] },
          { flags: '--latest', description: 'the newest versions instead of the current release' },
          ENV_OPTION,
          PROJECT_OPTION,
        ],
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
        options: [{ flags: '--env <name>', description: 'only this environment' }, PROJECT_OPTION],
        load: () => import('../commands/releases/list.js'),
      },
      {
        name: 'rollback',
        summary: "make a new release with an older release's contents",
        options: [
          { flags: '--env <name>', description: 'environment' },
          { flags: '--to <release>', description: 'the release to restore, e.g. v3' },
          PROJECT_OPTION,
        ],
        load: () => import('../commands/releases/rollback.js'),
      },
    ],
  },
];
export const deploy: LeafSpec = {
  name: 'deploy',
  summary: 'make a release: push latch.config, pin the current secret versions',
  options: [
    { flags: '--env <name>', description: 'environment (created on its first deploy)' },
    { flags: '-m, --message <text>', description: 'why, shown in `latch releases list`' },
    { flags: '--no-manifest', description: 'do not push latch.config.* even if there is one' },
    CONFIG_OPTION,
    PROJECT_OPTION,
  ],
  load: () => import('../commands/releases/deploy.js'),
  help: '\nExamples:\n  latch deploy --env staging\n  LATCH_TOKEN=lk_key_… latch deploy --env production --yes -m "v2.3.1"',
};
export const runLeaf: LeafSpec = {
  name: 'run',
  summary: "run a command with the environment's released secrets",
  args: [{ syntax: '[command...]', key: 'command', description: 'the command and its arguments, after --' }],
  options: [
    { flags: '--env <name>', description: 'environment (default: the only one)' },
    { flags: '--latest', description: 'the newest versions instead of the current release' },
    { flags: '--no-inherit', description: "do not pass this shell's environment, only the secrets" },
    { flags: '--dry-run', description: 'list the names it would set, run nothing' },
    PROJECT_OPTION,
  ],
  load: () => import('../commands/secrets/run.js'),
  help: [
    '',
    'Examples:',
    '  latch run --env production -- node server.js',
    '  latch run --env staging --dry-run -- npm start',
    '',
    "Exits with the command's exit code (128+N when it dies of signal N).",
  ].join('\n'),
};
