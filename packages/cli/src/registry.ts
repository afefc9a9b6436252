import type { Role } from '@latchkey/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Io } from './lib/io.js';

/**
 * Every command, declared as data. Only this file and commander are loaded at start-up; a
 * command's module (and the API client, prompts, core) is imported when that command runs,
 * which keeps `latch --version` close to bare `node` start-up.
 */
export type CommandModule = { run(opts: Record<string, unknown>, io: Io): Promise<void> };

type ArgSpec = { syntax: string; key: string; description: string };
type OptionSpec = {
  flags: string;
  description: string;
  choices?: readonly string[];
  default?: unknown;
  int?: boolean;
};
export type LeafSpec = {
  name: string;
  summary: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  load: () => Promise<CommandModule>;
  /** Runs without the io object (no config, no API client): the server owns its own set-up. */
  bare?: boolean;
  help?: string;
  /** Commands under this one (`latch server rotate-master-key`); the leaf itself still runs alone. */
  subcommands?: LeafSpec[];
};
type GroupSpec = {
  name: string;
  summary: string;
  aliases?: string[];
  commands: LeafSpec[];
  /** Nested groups, e.g. `latch service-accounts keys …`. */
  groups?: GroupSpec[];
};

export type Runner = (spec: LeafSpec, opts: Record<string, unknown>, command: Command) => Promise<void>;

// A literal, not core's ROLES: importing core here would put it on the start-up path.
const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const satisfies readonly Role[];

const login: LeafSpec = {
  name: 'login',
  summary: 'sign in (browser, or a code on headless machines)',
  options: [
    { flags: '--device', description: 'sign in with a code shown here and approved in any browser' },
    { flags: '--token <token>', description: 'store a token you already have (`-` reads it from stdin)' },
  ],
  load: () => import('./commands/auth/login.js'),
  help: '\nExamples:\n  latch login\n  latch login --device\n  latch login --api-url https://latch.example.com\n  printenv LK | latch login --token -',
};
const logout: LeafSpec = {
  name: 'logout',
  summary: 'revoke the stored token and forget it (keeps the API URL and active org)',
  load: () => import('./commands/auth/logout.js'),
};
const status: LeafSpec = {
  name: 'status',
  summary: 'who you are signed in as, with which token, against which server',
  load: () => import('./commands/auth/status.js'),
};

const orgCommands: LeafSpec[] = [
  {
    name: 'list',
    summary: 'orgs you belong to, with your role (* = active)',
    load: () => import('./commands/org/list.js'),
  },
  {
    name: 'use',
    summary: 'make an org the active one',
    args: [{ syntax: '<name-or-id>', key: 'org', description: 'org name (any case) or id' }],
    load: () => import('./commands/org/use.js'),
  },
  { name: 'current', summary: 'print the active org', load: () => import('./commands/org/current.js') },
  {
    name: 'create',
    summary: 'create an org (you become its owner)',
    args: [{ syntax: '<name>', key: 'name', description: 'org name' }],
    options: [{ flags: '--use', description: 'make it the active org' }],
    load: () => import('./commands/org/create.js'),
  },
  {
    name: 'members',
    summary: "the org's members and their roles",
    load: () => import('./commands/team/members.js'),
  },
  {
    name: 'invite',
    summary: 'invite someone by email',
    args: [{ syntax: '<email>', key: 'email', description: 'email address to invite' }],
    options: [
      { flags: '-r, --role <role>', description: 'role to give', choices: ROLES, default: 'developer' },
    ],
    load: () => import('./commands/team/invite.js'),
  },
  {
    name: 'remove',
    summary: 'remove a member from the org',
    args: [{ syntax: '<email>', key: 'member', description: 'member email or user id' }],
    load: () => import('./commands/team/remove.js'),
  },
];

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
    load: () => import('./commands/server/dev.js'),
    bare: true,
  },
  {
    name: 'server',
    summary: 'start a production server',
    options: serverOptions,
    load: () => import('./commands/server/start.js'),
    bare: true,
    subcommands: [
      {
        name: 'rotate-master-key',
        summary: 're-wrap every data key with a new master key (works while servers run)',
        options: [
          { flags: '--new-key-file <file>', description: 'file holding the new key (32 bytes, base64)' },
          { flags: '--data-dir <dir>', description: 'data folder of an embedded database or dev server' },
        ],
        load: () => import('./commands/server/rotate-master-key.js'),
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
    ],
  },
];

// Literals, not core's: importing core here would put it on the start-up path.
const API_KEY_STATUSES = ['active', 'expiring', 'rotating', 'expired', 'revoked'] as const;

// Projects, environments and the access manifest. `--project` falls back to LATCH_PROJECT, then
// to the linked folder (lib/project.ts).
const PROJECT_OPTION: OptionSpec = {
  flags: '--project <project>',
  description: 'project name or id (default: LATCH_PROJECT, then the linked folder)',
};
const CONFIG_OPTION: OptionSpec = {
  flags: '--config <file>',
  description: 'the access manifest file (default: latch.config.ts/.js/.json here or above)',
};
const MANIFEST_SOURCE_OPTIONS: OptionSpec[] = [
  { flags: '--env <name>', description: 'environment whose pushed manifest to show (default: the only one)' },
  { flags: '--local', description: 'show the local config file instead of what was pushed' },
  CONFIG_OPTION,
  PROJECT_OPTION,
];

const link: LeafSpec = {
  name: 'link',
  summary: 'link this folder to a project (writes .latch/project.json)',
  args: [{ syntax: '[project]', key: 'project', description: 'project name or id (asks when omitted)' }],
  load: () => import('./commands/projects/link.js'),
};
const routes: LeafSpec = {
  name: 'routes',
  summary: "the app's route table: method, path, handler, auth, rate limit",
  options: MANIFEST_SOURCE_OPTIONS,
  load: () => import('./commands/scopes/routes.js'),
};
const PROJECT_GROUPS: GroupSpec[] = [
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
        load: () => import('./commands/projects/create.js'),
      },
      {
        name: 'list',
        summary: 'projects in the org (* = linked here)',
        load: () => import('./commands/projects/list.js'),
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
        load: () => import('./commands/env/create.js'),
      },
      {
        name: 'list',
        summary: "the project's environments",
        options: [PROJECT_OPTION],
        load: () => import('./commands/env/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete an environment (asks first)',
        args: [{ syntax: '<name>', key: 'name', description: 'environment name' }],
        options: [{ flags: '--force', description: 'also delete its API keys' }, PROJECT_OPTION],
        load: () => import('./commands/env/delete.js'),
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
        load: () => import('./commands/scopes/push.js'),
        help: '\nExamples:\n  latch scopes push --env staging\n  latch scopes push --env staging --env production',
      },
      {
        name: 'list',
        summary: 'declared scopes with their grants',
        options: MANIFEST_SOURCE_OPTIONS,
        load: () => import('./commands/scopes/list.js'),
      },
      { ...routes, summary: 'the same as `latch routes`' },
    ],
  },
];

// Secrets, releases, runs (SPEC section 7).
const ENV_OPTION: OptionSpec = { flags: '--env <name>', description: 'environment (default: the only one)' };
const SECRET_NAME: ArgSpec = { syntax: '<name>', key: 'name', description: 'UPPER_SNAKE_CASE name' };
const SECRET_GROUPS: GroupSpec[] = [
  {
    name: 'secrets',
    summary: "an environment's secrets: encrypted, versioned, live at the next deploy",
    commands: [
      {
        name: 'set',
        summary: 'set a secret (a new version; live at the next deploy)',
        args: [SECRET_NAME, { syntax: '[value]', key: 'value', description: 'the value; - reads stdin' }],
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('./commands/secrets/set.js'),
        help: '\nExamples:\n  latch secrets set STRIPE_SECRET_KEY sk_live_123 --env production\n  pbpaste | latch secrets set STRIPE_SECRET_KEY - --env production   # stays out of shell history',
      },
      {
        name: 'get',
        summary: 'print a value (the read is audited)',
        args: [SECRET_NAME],
        options: [{ flags: '--version <n>', description: 'an older version' }, ENV_OPTION, PROJECT_OPTION],
        load: () => import('./commands/secrets/get.js'),
      },
      {
        name: 'list',
        summary: 'names, masked values, versions, and what waits for the next deploy',
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('./commands/secrets/list.js'),
      },
      {
        name: 'unset',
        summary: 'remove a secret (a new version; gone at the next deploy)',
        args: [SECRET_NAME],
        options: [ENV_OPTION, PROJECT_OPTION],
        load: () => import('./commands/secrets/unset.js'),
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
        load: () => import('./commands/secrets/history.js'),
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
        load: () => import('./commands/secrets/rollback.js'),
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
        load: () => import('./commands/secrets/import.js'),
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
        load: () => import('./commands/secrets/export.js'),
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
        load: () => import('./commands/releases/list.js'),
      },
      {
        name: 'rollback',
        summary: "make a new release with an older release's contents",
        options: [
          { flags: '--env <name>', description: 'environment' },
          { flags: '--to <release>', description: 'the release to restore, e.g. v3' },
          PROJECT_OPTION,
        ],
        load: () => import('./commands/releases/rollback.js'),
      },
    ],
  },
];
const deploy: LeafSpec = {
  name: 'deploy',
  summary: 'make a release: push latch.config, pin the current secret versions',
  options: [
    { flags: '--env <name>', description: 'environment (created on its first deploy)' },
    { flags: '-m, --message <text>', description: 'why, shown in `latch releases list`' },
    { flags: '--no-manifest', description: 'do not push latch.config.* even if there is one' },
    CONFIG_OPTION,
    PROJECT_OPTION,
  ],
  load: () => import('./commands/releases/deploy.js'),
  help: '\nExamples:\n  latch deploy --env staging\n  LATCH_TOKEN=lk_key_… latch deploy --env production --yes -m "v2.3.1"',
};
const runLeaf: LeafSpec = {
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
  load: () => import('./commands/secrets/run.js'),
  help: [
    '',
    'Examples:',
    '  latch run --env production -- node server.js',
    '  latch run --env staging --dry-run -- npm start',
    '',
    "Exits with the command's exit code (128+N when it dies of signal N).",
  ].join('\n'),
};

export const GROUPS: GroupSpec[] = [
  { name: 'auth', summary: 'sign-in state', commands: [login, logout, status] },
  { name: 'org', summary: 'orgs, members and invitations', commands: orgCommands },
  { name: 'team', summary: 'the same as `latch org`', commands: orgCommands },
  {
    name: 'invites',
    summary: 'invitations addressed to you',
    commands: [
      {
        name: 'list',
        summary: 'pending invitations for you',
        load: () => import('./commands/invites/list.js'),
      },
      {
        name: 'accept',
        summary: 'join the org that invited you',
        args: [{ syntax: '<id>', key: 'id', description: 'invitation id' }],
        load: () => import('./commands/invites/accept.js'),
      },
      {
        name: 'decline',
        summary: 'decline an invitation',
        args: [{ syntax: '<id>', key: 'id', description: 'invitation id' }],
        load: () => import('./commands/invites/decline.js'),
      },
    ],
  },
  {
    name: 'pats',
    summary: 'personal access tokens',
    commands: [
      {
        name: 'list',
        summary: 'your tokens (never the secrets)',
        load: () => import('./commands/pats/list.js'),
      },
      {
        name: 'create',
        summary: 'create a token; it is printed once',
        args: [{ syntax: '[name]', key: 'nameArg', description: 'token name (or --name)' }],
        options: [
          { flags: '-n, --name <name>', description: 'token name' },
          { flags: '--expires <duration>', description: 'lifetime: 90d, 12h, or a day count (default 120d)' },
          {
            flags: '-s, --scope <scope...>',
            description: 'cap the token to these permissions, e.g. deploy:write',
          },
        ],
        load: () => import('./commands/pats/create.js'),
        help: '\nExamples:\n  latch pats create "CI deploys" --expires 90d -s deploy:write\n  latch pats create laptop --json',
      },
      {
        name: 'revoke',
        summary: 'revoke a token at once',
        args: [{ syntax: '<id>', key: 'id', description: 'token id (see `latch pats list`)' }],
        load: () => import('./commands/pats/revoke.js'),
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
            description: 'lifetime: 90d, 12h, or a day count (default: none)',
          },
        ],
        load: () => import('./commands/keys/create.js'),
        help: '\nExamples:\n  latch keys create "GitHub Actions" -s deploy:write,secrets:read --expires 90d\n  LATCH_TOKEN=lk_key_… latch keys list',
      },
      {
        name: 'list',
        summary: "the org's platform keys (never the secrets), with status",
        load: () => import('./commands/keys/list.js'),
      },
      {
        name: 'revoke',
        summary: 'revoke a key at once',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch keys list`)' }],
        load: () => import('./commands/keys/revoke.js'),
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
        load: () => import('./commands/keys/rotate.js'),
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
        load: () => import('./commands/service-accounts/create.js'),
      },
      {
        name: 'list',
        summary: "the org's service accounts",
        load: () => import('./commands/service-accounts/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete a service account and revoke its keys',
        args: [{ syntax: '<id-or-name>', key: 'account', description: 'account id or name' }],
        load: () => import('./commands/service-accounts/delete.js'),
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
                description: 'lifetime: 90d, 12h, or a day count (default: none)',
              },
            ],
            load: () => import('./commands/service-accounts/keys/create.js'),
          },
          {
            name: 'list',
            summary: "the account's keys (never the secrets)",
            args: [{ syntax: '<account>', key: 'account', description: 'account id or name' }],
            load: () => import('./commands/service-accounts/keys/list.js'),
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
            load: () => import('./commands/service-accounts/keys/revoke.js'),
          },
        ],
      },
    ],
  },
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
            description: 'lifetime: 90d, 12h, or a day count (default: none)',
          },
          {
            flags: '--meta <key=value...>',
            description: 'metadata returned by every verification (repeatable)',
          },
          PROJECT_OPTION,
        ],
        load: () => import('./commands/api-keys/create.js'),
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
        load: () => import('./commands/api-keys/list.js'),
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
        load: () => import('./commands/api-keys/rotate.js'),
      },
      {
        name: 'revoke',
        summary: 'revoke a key at once, on every server',
        args: [{ syntax: '<id>', key: 'id', description: 'key id (see `latch api-keys list`)' }],
        options: [PROJECT_OPTION],
        load: () => import('./commands/api-keys/revoke.js'),
      },
    ],
  },
  ...PROJECT_GROUPS,
  ...SECRET_GROUPS,
];

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('use a number from 0 to 65535.');
  return n;
}

function addLeaf(parent: Command, spec: LeafSpec, runner: Runner, nested = false): void {
  const cmd = parent.command(spec.name).description(spec.summary);
  for (const a of spec.args ?? []) cmd.argument(a.syntax, a.description);
  for (const o of spec.options ?? []) {
    const option = new Option(o.flags, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.int) option.argParser(parsePort);
    cmd.addOption(option);
  }
  if (spec.help) cmd.addHelpText('after', spec.help);
  for (const sub of spec.subcommands ?? []) addLeaf(cmd, sub, runner, true);
  cmd.action(async (...params: unknown[]) => {
    // commander calls back with (positional args…, options, command).
    const command = params[params.length - 1] as Command;
    // Under a leaf (`latch server rotate-master-key --data-dir x`), commander gives options the
    // parent also has to the parent: take them from there.
    const inherited = nested ? (command.parent?.opts() ?? {}) : {};
    const own = Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
    const opts: Record<string, unknown> = { ...inherited, ...own };
    (spec.args ?? []).forEach((a, i) => {
      opts[a.key] = params[i];
    });
    await runner(spec, opts, command);
  });
}

/** A nested group (`service-accounts keys`), registered with all its commands. */
function addGroup(parent: Command, group: GroupSpec, runner: Runner): void {
  const cmd = parent.command(group.name).description(group.summary);
  for (const alias of group.aliases ?? []) cmd.alias(alias);
  for (const leaf of group.commands) addLeaf(cmd, leaf, runner);
  for (const sub of group.groups ?? []) addGroup(cmd, sub, runner);
}

/** Global options that take a value: their value is not a command word. */
const VALUE_OPTIONS = new Set(['--org', '--api-url']);

/** The first word of argv that names a command (`org` in `latch --json org list`), if any. */
export function firstCommandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Builds the command tree. A group's subcommands are only needed when that group is the one
 * being run (or for `latch help …`, unknown words, and tests: `word` left as 'all'), so they are
 * skipped otherwise: `latch --version` and `latch org list` do not pay for the other groups.
 */
export function registerCommands(
  program: Command,
  runner: Runner,
  word: string | undefined | 'all' = 'all',
): void {
  const groupNames = new Set(GROUPS.map((g) => g.name));
  const expandAll = word === 'all' || (word !== undefined && !groupNames.has(word));
  // Registration order is the order `latch --help` lists them in.
  for (const spec of [login, logout]) addLeaf(program, spec, runner);
  for (const group of GROUPS) {
    const cmd = program.command(group.name).description(group.summary);
    for (const alias of group.aliases ?? []) cmd.alias(alias);
    if (expandAll || word === group.name) for (const leaf of group.commands) addLeaf(cmd, leaf, runner);
    if (expandAll || word === group.name) for (const sub of group.groups ?? []) addGroup(cmd, sub, runner);
  }
  for (const spec of [link, routes, deploy, runLeaf]) addLeaf(program, spec, runner);
  for (const spec of SERVERS) addLeaf(program, spec, runner);
}
