import { type Api, createApi } from './client.js';
import { type Colors, colorEnabled, colors } from './color.js';
import { ConfigStore, configDir, DEFAULT_API_URL, type Env } from './config.js';
import { CliError, EXIT, usageError } from './exit.js';
import { table } from './format.js';
import type { Transport } from './http.js';
import { type Spinner, startSpinner } from './spinner.js';

export type Out = { write(chunk: string): unknown };

/** Options every command accepts (commander's `optsWithGlobals()`). */
export type GlobalOptions = { json?: boolean; org?: string; apiUrl?: string; yes?: boolean; wide?: boolean };

export type TokenSource = 'env' | 'config' | null;

export type Context = {
  apiUrl: string;
  /** `--org` as typed (id or name); the active org is in `config.data.activeOrg`. */
  org: string | undefined;
  token: string | undefined;
  tokenSource: TokenSource;
  /** Set when a stored login exists but belongs to another server than `apiUrl`. */
  storedLoginFor: string | undefined;
};

/**
 * Everything a command touches outside its own arguments, so commands run the same in a terminal,
 * in a pipe and in tests: streams, TTY-ness, environment, config, the API client, prompts.
 */
export interface Io {
  stdout: Out;
  stderr: Out;
  /** `--token -`, `secrets set NAME -`, `secrets import -` read from here. */
  stdin: NodeJS.ReadStream | (NodeJS.ReadableStream & { isTTY?: boolean });
  /** A person can answer prompts: stdin and stderr are terminals and CI is not set. */
  isTTY: boolean;
  env: Env;
  json: boolean;
  yes: boolean;
  /** Styles for stdout and for stderr (each honours NO_COLOR and its own stream's TTY-ness). */
  out: Colors;
  err: Colors;
  config: ConfigStore;
  context: Context;
  api: Api;
  /** A client for another server or token (login checks a token before storing it). */
  apiFor(apiUrl: string, token: string | undefined): Api;
  /** Human text that is not the command's result: always stderr, so stdout stays machine-clean. */
  note(text: string): void;
  warn(text: string): void;
  /** The width tables fit into: the terminal's (or COLUMNS); undefined in pipes and with --wide. */
  columns: number | undefined;
  /** A table (format.ts) fitted to `columns`. */
  table(headers: string[], rows: string[][], header?: (s: string) => string): string;
  /** The command's result: `value` as JSON with --json, else whatever `human` renders, on stdout. */
  result<T>(value: T, human: (value: T) => string | undefined): void;
  /** Resolves when confirmed; throws exit 2 when refused, cancelled, or there is nobody to ask. */
  confirm(question: string): Promise<void>;
  /**
   * For what cannot be undone at all (deleting an org): the person types `expected` (any case).
   * --yes skips it; without a terminal it is refused with exit 2, like `confirm`.
   */
  confirmTyped(question: string, expected: string): Promise<void>;
  spinner(message: string): Spinner;
  /** Listens for a signal (Ctrl-C during sign-in, signals forwarded to `latch run`'s child); returns the way to stop. */
  onSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): () => void;
  /** The exit code the CLI ends with once the command returns (`latch run` passes the child's on). */
  setExitCode(code: number): void;
  /** Ends the process now (a cancelled sign-in must not wait for the pending request). */
  exit(code: number): never;
}

export type IoDeps = {
  stdout?: Out;
  stderr?: Out;
  stdin?: Io['stdin'];
  env?: Env;
  onSignal?: Io['onSignal'];
  setExitCode?: Io['setExitCode'];
  exit?: Io['exit'];
  /** Overrides the terminal check (tests). */
  isTTY?: boolean;
  stdoutIsTTY?: boolean;
  transport?: Transport;
  /** Asks a yes/no question on the terminal; null when the user cancelled. */
  ask?: (question: string) => Promise<boolean | null>;
  /** Asks for a line of text on the terminal; null when the user cancelled. */
  askText?: (question: string) => Promise<string | null>;
};

export function createIo(globals: GlobalOptions, deps: IoDeps = {}): Io {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const ci = isCi(env);
  const terminal = deps.isTTY ?? Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const isTTY = terminal && !ci;
  const stdoutTTY = deps.stdoutIsTTY ?? Boolean(process.stdout.isTTY);
  const config = new ConfigStore(configDir(env));
  const context = resolveContext(globals, env, config);
  const transport = deps.transport;
  const err = colors(colorEnabled(env, deps.isTTY ?? Boolean(process.stderr.isTTY)));
  const apiFor = (apiUrl: string, token: string | undefined) =>
    createApi({ apiUrl, token, ...(transport ? { transport } : {}) });

  const columnsFromEnv = Number(env.COLUMNS);
  const columns = globals.wide
    ? undefined
    : Number.isInteger(columnsFromEnv) && columnsFromEnv > 0
      ? columnsFromEnv
      : stdoutTTY && stdout === process.stdout
        ? process.stdout.columns
        : undefined;

  const io: Io = {
    stdout,
    stderr,
    stdin: deps.stdin ?? process.stdin,
    isTTY,
    env,
    json: Boolean(globals.json),
    yes: Boolean(globals.yes),
    out: colors(colorEnabled(env, stdoutTTY)),
    err,
    config,
    context,
    api: apiFor(context.apiUrl, context.token),
    apiFor,
    columns,
    table: (headers, rows, header) => table(headers, rows, header, columns),
    note: (text) => void stderr.write(`${text}\n`),
    warn: (text) => void stderr.write(`${err.yellow('!')} ${text}\n`),
    result(value, human) {
      if (io.json) {
        stdout.write(`${JSON.stringify(value, null, 2)}\n`);
        return;
      }
      const text = human(value);
      if (text) stdout.write(`${text}\n`);
    },
    async confirm(question) {
      if (io.yes) return;
      if (!isTTY) {
        const why = ci ? 'CI is set' : 'there is no terminal to ask on';
        throw usageError(
          `Not confirmed: "${question}" needs an answer and ${why}.`,
          'Add --yes to go ahead.',
        );
      }
      const answer = await (deps.ask ?? askOnTerminal)(question);
      if (answer !== true)
        throw new CliError('Cancelled; nothing was changed.', { exitCode: EXIT.usage, code: 'CANCELLED' });
    },
    async confirmTyped(question, expected) {
      if (io.yes) return;
      if (!isTTY) {
        const why = ci ? 'CI is set' : 'there is no terminal to ask on';
        throw usageError(
          `Not confirmed: "${question}" needs an answer and ${why}.`,
          'Add --yes to go ahead.',
        );
      }
      const typed = await (deps.askText ?? askTextOnTerminal)(`${question} Type ${expected} to confirm:`);
      if (typed === null)
        throw new CliError('Cancelled; nothing was changed.', { exitCode: EXIT.usage, code: 'CANCELLED' });
      if (typed.trim().toLowerCase() !== expected.toLowerCase()) {
        throw new CliError(`"${typed.trim()}" is not ${expected}; nothing was changed.`, {
          exitCode: EXIT.usage,
          code: 'CANCELLED',
          hint: `Run the command again and type ${expected} exactly.`,
        });
      }
    },
    // Animate only on the real terminal; captured streams (tests) get the quiet variant.
    spinner: (message) => startSpinner(stderr, message, isTTY && stderr === process.stderr),
    onSignal:
      deps.onSignal ??
      ((signal, handler) => {
        process.on(signal, handler);
        return () => void process.off(signal, handler);
      }),
    setExitCode:
      deps.setExitCode ??
      ((code) => {
        process.exitCode = code;
      }),
    exit: deps.exit ?? ((code) => process.exit(code)),
  };
  return io;
}

export function isCi(env: Env): boolean {
  return Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';
}

export function normalizeApiUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw usageError(`${from} "${raw}" is not a URL.`, 'Use a URL like http://127.0.0.1:7420.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(
      `${from} "${raw}" must start with http:// or https://.`,
      'Use a URL like http://127.0.0.1:7420.',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * A stored token is only ever sent to the server it was issued by: pointing `--api-url` at
 * another host must not leak it there.
 */
export function resolveContext(globals: GlobalOptions, env: Env, config: ConfigStore): Context {
  const stored = config.data;
  const storedUrl = normalizeApiUrl(stored.apiUrl ?? DEFAULT_API_URL, 'The apiUrl in the config file');
  const apiUrl = globals.apiUrl
    ? normalizeApiUrl(globals.apiUrl, '--api-url')
    : env.LATCH_API_URL
      ? normalizeApiUrl(env.LATCH_API_URL, 'LATCH_API_URL')
      : storedUrl;
  const envToken = env.LATCH_TOKEN?.trim();
  const org = globals.org?.trim() || undefined;
  if (envToken) return { apiUrl, org, token: envToken, tokenSource: 'env', storedLoginFor: undefined };
  if (stored.token && storedUrl === apiUrl) {
    return { apiUrl, org, token: stored.token, tokenSource: 'config', storedLoginFor: undefined };
  }
  return {
    apiUrl,
    org,
    token: undefined,
    tokenSource: null,
    storedLoginFor: stored.token ? storedUrl : undefined,
  };
}

async function askTextOnTerminal(question: string): Promise<string | null> {
  const { text, isCancel } = await import('@clack/prompts');
  const answer = await text({ message: question, output: process.stderr });
  return isCancel(answer) ? null : String(answer ?? '');
}

async function askOnTerminal(question: string): Promise<boolean | null> {
  // Loaded only when a person is actually asked: @clack/prompts is not on the start-up path.
  const { confirm, isCancel } = await import('@clack/prompts');
  const answer = await confirm({ message: question, initialValue: false, output: process.stderr });
  return isCancel(answer) ? null : answer;
}
