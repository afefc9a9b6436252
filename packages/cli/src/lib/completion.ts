import { Command } from 'commander';
import { registerCommands } from '../registry.js';
import { usageError } from './exit.js';

/**
 * `latch completion bash|zsh|fish`: a static script built from the command tree with every
 * command's spec loaded (the only place that loads them all). Each position in the tree (`''`,
 * `org`, `org list`) maps to the words that may come next: sub-commands and flags.
 */
export type CompletionTree = Map<string, string[]>;

const GLOBAL_FLAGS = ['--json', '--yes', '--org', '--api-url', '--wide', '--help'];

export async function completionTree(): Promise<CompletionTree> {
  const program = new Command('latch');
  await registerCommands(program, async () => undefined, 'all');
  program.command('completion');
  const tree: CompletionTree = new Map();
  const walk = (cmd: Command, path: string) => {
    const subs = cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    const flags = cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));
    tree.set(path, [...subs, ...flags, ...GLOBAL_FLAGS]);
    for (const c of cmd.commands) {
      for (const name of [c.name(), ...c.aliases()]) walk(c, path ? `${path} ${name}` : name);
    }
  };
  walk(program, '');
  tree.set('completion', ['bash', 'zsh', 'fish']);
  return tree;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function caseArms(tree: CompletionTree, indent: string): string {
  return [...tree]
    .map(([path, words]) => `${indent}${quote(path)}) echo ${quote(words.join(' '))} ;;`)
    .join('\n');
}

export function bashScript(tree: CompletionTree): string {
  return `# latch completion for bash (and zsh through bashcompinit)
_latch_words() {
  case "$1" in
${caseArms(tree, '    ')}
  esac
}
_latch() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case " $(_latch_words "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  COMPREPLY=($(compgen -W "$(_latch_words "$path")" -- "$cur"))
}
complete -F _latch latch
`;
}

export function zshScript(tree: CompletionTree): string {
  return `#compdef latch
# latch completion for zsh
autoload -U +X bashcompinit && bashcompinit
${bashScript(tree)}`;
}

export function fishScript(tree: CompletionTree): string {
  const arms = [...tree]
    .map(([path, words]) => `    case ${quote(path)}\n      echo ${quote(words.join(' '))}`)
    .join('\n');
  return `# latch completion for fish
function __latch_words
  switch $argv[1]
${arms}
  end
end
function __latch_complete
  set -l tokens (commandline -opc)
  set -l path ''
  for w in $tokens[2..-1]
    string match -q -- '-*' $w; and continue
    if contains -- $w (string split ' ' (__latch_words $path))
      set path (string trim -- "$path $w")
    end
  end
  string split ' ' (__latch_words $path)
end
complete -c latch -f -a '(__latch_complete)'
`;
}

export async function printCompletion(shell: string, json: boolean): Promise<void> {
  const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell];
  if (!make) {
    const err = usageError(`No completion for "${shell}".`, 'Use `latch completion bash`, `zsh` or `fish`.');
    process.stderr.write(
      json
        ? `${JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } })}\n`
        : `error: ${err.message}\n${err.hint}\n`,
    );
    process.exitCode = 2;
    return;
  }
  process.stdout.write(make(await completionTree()));
}
