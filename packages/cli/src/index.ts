import { Command, CommanderError } from 'commander';
import { commandWords, registerCommands } from './registry.js';

// Keep this file's imports to commander and the registry: everything else loads per command.
const VERSION = typeof __LATCH_VERSION__ === 'string' ? __LATCH_VERSION__ : '0.0.0-dev';
const argv = rewriteArgs(process.argv.slice(2));
const json = argv.includes('--json');
const words = commandWords(argv);
const word = words[0];

/**
 * `latch help org list` is `latch org list --help` (commander's own help command takes one word),
 * and a lone `-v` is `--version` (commander allows one short version flag, and `-V` stays too).
 */
function rewriteArgs(args: string[]): string[] {
  if (args[0] === 'help' && args.length > 1) return [...args.slice(1), '--help'];
  if (args.length === 1 && args[0] === '-v') return ['--version'];
  return args;
}

const HELP_FOOTER = `
Environment:
  LATCH_TOKEN        use this token instead of the stored login (login refuses to store while set)
  LATCH_API_URL      the server to talk to (default: the stored login's, else http://127.0.0.1:7420)
  LATCH_CONFIG_DIR   config folder (default $XDG_CONFIG_HOME/latch or ~/.config/latch)
  LATCH_BROWSER_CMD  browser for \`latch login\`, e.g. "firefox {url}"
  NO_COLOR, CI       no colours; never prompt

Exit codes: 0 ok, 1 error, 2 bad usage or cancelled, 4 not signed in or token rejected.`;

const program = new Command('latch')
  .description('Latchkey: sign-in, tokens, orgs, API keys and secrets for your apps.')
  // Long --version only without a command: `latch secrets rollback X --version 3` is the command's.
  .version(VERSION, word ? '-V' : '-V, --version', 'print the version')
  .option('--json', 'machine-readable output on stdout; messages stay on stderr')
  .option('--org <org>', 'org to act on, by name or id (default: the active org)')
  .option('--api-url <url>', 'Latchkey server URL')
  .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
  .option('--wide', 'tables show every column in full instead of fitting the terminal')
  .helpOption('-h, --help', 'show help')
  // Every command's --help also lists these (--json, --yes, --org, --api-url, …).
  .configureHelp({ showGlobalOptions: true })
  .showSuggestionAfterError()
  .exitOverride()
  .configureOutput({
    // With --json a usage error is reported as a JSON object below instead of commander's text.
    outputError: (text, write) => {
      // Unknown commands are reported below, with suggestions that look across groups.
      if (!json && !text.startsWith('error: unknown command')) write(text);
    },
  })
  .addHelpText('after', HELP_FOOTER);

program
  .command('completion')
  .description('print a shell completion script: bash, zsh or fish')
  .argument('<shell>', 'bash, zsh or fish')
  .addHelpText(
    'after',
    "\nExamples:\n  latch completion bash > ~/.local/share/bash-completion/completions/latch\n  latch completion fish > ~/.config/fish/completions/latch.fish\n  echo 'source <(latch completion zsh)' >> ~/.zshrc",
  )
  .action(async (shell: string) => {
    const { printCompletion } = await import('./lib/completion.js');
    await printCompletion(shell, json);
  });

await registerCommands(
  program,
  async (mod, opts, command) => {
    const { execute } = await import('./lib/run.js');
    await execute(mod, opts, command.optsWithGlobals());
  },
  words,
);

try {
  await program.parseAsync(argv, { from: 'user' });
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // --help, `latch help`, bare `latch` (or a bare group) and --version end in an "error" too under
  // exitOverride; they showed what was asked for, so they are successes.
  if (
    err.code === 'commander.helpDisplayed' ||
    err.code === 'commander.version' ||
    err.code === 'commander.help'
  ) {
    process.exitCode = 0;
  } else {
    const hint = 'Run `latch --help` for usage, or add --help after any command.';
    let message = err.message.replace(/^error: /, '');
    if (err.code === 'commander.unknownCommand') {
      const unknown = /unknown command '([^']*)'/.exec(err.message)?.[1] ?? '';
      const { suggestCommands } = await import('./lib/suggest.js');
      const found = unknown === word ? suggestCommands(unknown) : [];
      message = message.replace(/\s*\(Did you mean [^)]*\)\s*$/, '');
      if (found.length) {
        const list = found.map((c) => `\`latch ${c}\``);
        message = `${message.replace(/\.$/, '')}. Did you mean ${list.length === 1 ? list[0] : `one of ${list.join(', ')}`}?`;
      } else if (/Did you mean/.test(err.message)) {
        message = err.message.replace(/^error: /, '');
      }
      if (!json) process.stderr.write(`error: ${message}\n`);
    }
    if (json) {
      process.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message, hint } })}\n`);
    } else {
      process.stderr.write(`${hint}\n`);
    }
    process.exitCode = 2;
  }
}
