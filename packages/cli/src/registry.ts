import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Io } from './lib/io.js';
import { API_KEY_GROUPS } from './registry/api-keys.js';
import { AUTH_GROUPS, login, logout } from './registry/auth.js';
import { ORG_GROUPS } from './registry/org.js';
import { link, PROJECT_GROUPS, routes } from './registry/projects.js';
import { deploy, runLeaf, SECRET_GROUPS } from './registry/secrets.js';
import { SERVERS } from './registry/server.js';
import { TOKEN_GROUPS } from './registry/tokens.js';

/**
 * Every command, declared as data. Only this file and commander are loaded at start-up; a
 * command's module (and the API client, prompts, core) is imported when that command runs,
 * which keeps `latch --version` close to bare `node` start-up. Each group's data lives in
 * registry/<group>.ts: data and lazy `import()` thunks only, never a top-level command import.
 */
export type CommandModule = { run(opts: Record<string, unknown>, io: Io): Promise<void> };

export type ArgSpec = { syntax: string; key: string; description: string };
export type OptionSpec = {
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
export type GroupSpec = {
  name: string;
  summary: string;
  aliases?: string[];
  commands: LeafSpec[];
  /** Nested groups, e.g. `latch service-accounts keys …`. */
  groups?: GroupSpec[];
};

export type Runner = (spec: LeafSpec, opts: Record<string, unknown>, command: Command) => Promise<void>;

export { SERVERS };

/** Every group, in the order `latch --help` lists them. */
export const GROUPS: GroupSpec[] = [
  ...AUTH_GROUPS,
  ...ORG_GROUPS,
  ...TOKEN_GROUPS,
  ...API_KEY_GROUPS,
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
