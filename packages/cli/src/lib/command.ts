import type { Io } from './io.js';

/**
 * A command's own declaration of its arguments and flags, next to its `run(opts, io)` (gh's
 * `NewCmdX(f, runF)` + `xRun(opts)`): the registry only names the command and loads this file.
 * `opts` is typed from the declaration, so a flag and the field `run` reads cannot drift apart;
 * test/command-specs.test.ts checks each key is the name commander gives the flag.
 */
export type OptionDef = {
  /** Commander syntax: `-n, --name <name>`, `--scope <scope...>`, `--no-inherit`, `--dry-run`. */
  flags: string;
  description: string;
  choices?: readonly string[];
  default?: string | boolean;
  /** A port number (0–65535), parsed and checked by commander. */
  int?: boolean;
};
export type ArgDef = {
  /** `<id>` required, `[name]` optional, `[command...]` variadic. */
  syntax: string;
  description: string;
};
export type CommandSpec = {
  /** Positional arguments in order; each key is the field of `opts` it fills. */
  args?: Record<string, ArgDef>;
  /** Each key is the field of `opts` the flag fills (commander's camel-cased long name). */
  options?: Record<string, OptionDef>;
  /** Extra help text after the options (examples). */
  help?: string;
  /** Runs without the io object (no config, no API client): the server owns its own set-up. */
  bare?: boolean;
};

type OptionValue<O extends OptionDef> = O extends { int: true }
  ? number
  : O extends { choices: readonly (infer C)[] }
    ? C
    : O['flags'] extends `${string}...>` | `${string}...]`
      ? string[]
      : O['flags'] extends `${string}<${string}>`
        ? string
        : O['flags'] extends `${string}[${string}]`
          ? string | true
          : boolean;

type ArgValue<A extends ArgDef> = A['syntax'] extends `${string}...${string}`
  ? string[]
  : A['syntax'] extends `<${string}>`
    ? string
    : string | undefined;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The `opts` a command's `run` receives: its arguments, then its flags. */
export type OptionsOf<S extends CommandSpec> = Simplify<
  {
    [K in keyof S['args'] as S['args'][K] extends { syntax: `<${string}` }
      ? K
      : never]: S['args'][K] extends ArgDef ? ArgValue<S['args'][K]> : never;
  } & {
    [K in keyof S['args'] as S['args'][K] extends { syntax: `<${string}` }
      ? never
      : K]?: S['args'][K] extends ArgDef ? ArgValue<S['args'][K]> : never;
  } & {
    // A flag with a default always has a value; the others are absent unless given.
    [K in keyof S['options'] as S['options'][K] extends { default: unknown }
      ? K
      : never]: S['options'][K] extends OptionDef ? OptionValue<S['options'][K]> : never;
  } & {
    [K in keyof S['options'] as S['options'][K] extends { default: unknown }
      ? never
      : K]?: S['options'][K] extends OptionDef ? OptionValue<S['options'][K]> : never;
  }
>;

/** Identity at run time; keeps the literal flag syntax so `OptionsOf` can read it. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

/** What the registry's `load()` resolves to: a command file. */
export type CommandModule = {
  spec: CommandSpec;
  // biome-ignore lint/suspicious/noExplicitAny: each command narrows opts to its own OptionsOf<spec>
  run(opts: any, io: Io): Promise<void>;
};
