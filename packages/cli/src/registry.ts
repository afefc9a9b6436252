import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CommandModule, CommandSpec } from './lib/command.js';
import { API_KEY_GROUPS } from './registry/api-keys.js';
import { AUDIT_GROUPS } from './registry/audit.js';
import { AUTH_GROUPS, login, logout, whoami } from './registry/auth.js';
import { EFFECT_GROUPS } from './registry/effects.js';
import { ORG_GROUPS } from './registry/org.js';
import { link, PROJECT_GROUPS, routes } from './registry/projects.js';
import { deploy, logsLeaf, runLeaf, SECRET_GROUPS } from './registry/secrets.js';
import { SERVERS } from './registry/server.js';
import { TOKEN_GROUPS } from './registry/tokens.js';

/**
 * Every command's name, summary and lazy `load`: nothing else. A command's arguments, flags and
 * help live in its own file (`export const spec = defineCommand(…)` next to `run`), which is
 * imported only for the command being run or asked about (`latch org list`, `latch help org
 * list`, `latch org list --help`), so `latch --version` and `latch --help` load no command module.
 * Each group's data lives in registry/<group>.ts: names and `import()` thunks only.
 */
export type LeafSpec = {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
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

export type Runner = (mod: CommandModule, opts: Record<string, unknown>, command: Command) => Promise<void>;

export { SERVERS };

/** Every group, in the order `latch --help` lists them. */
export const GROUPS: GroupSpec[] = [
  ...AUTH_GROUPS,
  ...ORG_GROUPS,
  ...TOKEN_GROUPS,
  ...API_KEY_GROUPS,
  ...PROJECT_GROUPS,
  ...SECRET_GROUPS,
  ...AUDIT_GROUPS,
  ...EFFECT_GROUPS,
];

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('use a number from 0 to 65535.');
  return n;
}

/** Adds a command's own arguments, flags and help (from its file's `spec`) to `cmd`. */
export function applySpec(cmd: Command, spec: CommandSpec): void {
  for (const a of Object.values(spec.args ?? {})) cmd.argument(a.syntax, a.description);
  for (const o of Object.values(spec.options ?? {})) {
    const option = new Option(o.flags, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.int) option.argParser(parsePort);
    cmd.addOption(option);
  }
  if (spec.help) cmd.addHelpText('after', spec.help);
}

/**
 * One command. Its module is loaded (and its flags added) only when `load` says so: the words
 * typed name it, or everything is wanted (`latch completion`, tests). Otherwise it is a name and
 * a summary in its group's help.
 */
async function addLeaf(
  parent: Command,
  leaf: LeafSpec,
  runner: Runner,
  want: Want,
  path: string[],
  underLeaf = false,
) {
  const here = [...path, leaf.name];
  const cmd = parent.command(leaf.name).description(leaf.summary);
  for (const sub of leaf.subcommands ?? []) await addLeaf(cmd, sub, runner, want, here, true);
  if (!want(here)) return;
  const mod = await leaf.load();
  const spec = mod.spec;
  applySpec(cmd, spec);
  const argKeys = Object.keys(spec.args ?? {});
  cmd.action(async (...params: unknown[]) => {
    // commander calls back with (positional args…, options, command).
    const command = params[params.length - 1] as Command;
    // Under a leaf (`latch server rotate-master-key --data-dir x`), commander gives options the
    // parent also has to the parent: take them from there.
    const inherited = underLeaf ? (command.parent?.opts() ?? {}) : {};
    const own = Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
    const opts: Record<string, unknown> = { ...inherited, ...own };
    argKeys.forEach((key, i) => {
      opts[key] = params[i];
    });
    await runner(mod, opts, command);
  });
}

/** Whether the command at this path (`['org', 'list']`) is to be loaded. */
type Want = (path: string[]) => boolean;

/** A group, with all its commands and nested groups. */
async function addGroup(parent: Command, group: GroupSpec, runner: Runner, want: Want, path: string[]) {
  const here = [...path, group.name];
  const cmd = parent.command(group.name).description(group.summary);
  for (const alias of group.aliases ?? []) cmd.alias(alias);
  for (const leaf of group.commands) await addLeaf(cmd, leaf, runner, want, here);
  for (const sub of group.groups ?? []) await addGroup(cmd, sub, runner, want, here);
}

/** Global options that take a value: their value is not a command word. */
const VALUE_OPTIONS = new Set(['--org', '--api-url']);

/** The words of argv that name a command (`org`, `list` in `latch --json org list`). */
export function commandWords(args: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words;
}

/** The first word of argv that names a command (`org` in `latch --json org list`), if any. */
export function firstCommandWord(args: readonly string[]): string | undefined {
  return commandWords(args)[0];
}

/**
 * Builds the command tree. Only the command named by `words` (`['org', 'list']`) has its module
 * loaded; `'all'` loads every command (completion scripts, tests). Group aliases (`team`,
 * `environments`) name the same commands.
 */
export async function registerCommands(
  program: Command,
  runner: Runner,
  words: readonly string[] | 'all' = 'all',
): Promise<void> {
  const alias = new Map<string, string>();
  for (const g of GROUPS) for (const a of g.aliases ?? []) alias.set(a, g.name);
  const typed = words === 'all' ? [] : words.map((w, i) => (i === 0 ? (alias.get(w) ?? w) : w));
  const want: Want = (path) =>
    words === 'all' || (path.length <= typed.length && path.every((p, i) => p === typed[i]));
  // Registration order is the order `latch --help` lists them in.
  for (const spec of [login, logout, whoami]) await addLeaf(program, spec, runner, want, []);
  for (const group of GROUPS) await addGroup(program, group, runner, want, []);
  for (const spec of [link, routes, deploy, runLeaf, logsLeaf])
    await addLeaf(program, spec, runner, want, []);
  for (const spec of SERVERS) await addLeaf(program, spec, runner, want, []);
}
