import { describe, expect, it } from 'vitest';
import { latch, tempDir } from './helpers/latch.js';

// The real binary with no server: usage answers come from the CLI alone.
const run = (args: string[]) => latch(args, { configDir: tempDir('usage').path });

describe('latch usage: help and typos', () => {
  it('help exits 0 however it is asked for: --help, `latch help`, bare `latch`, a bare group', async () => {
    for (const args of [['--help'], ['help'], [], ['org'], ['help', 'secrets']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout + r.stderr, args.join(' ')).toMatch(/Usage: latch/);
    }
  });

  it('an unknown command suggests the command across groups (exit 2), in text and in --json', async () => {
    const status = await run(['status']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(
      "unknown command 'status'. Did you mean one of `latch auth status`, `latch effects status`?",
    );
    const open = await run(['open']);
    expect(open.stderr).toContain('Did you mean `latch login`?');
    const json = await run(['--json', 'stauts']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr).error).toMatchObject({
      code: 'USAGE',
      message: "unknown command 'stauts'. Did you mean one of `latch auth status`, `latch effects status`?",
    });
    // A typo inside a group keeps commander's own suggestion.
    expect((await run(['org', 'lst'])).stderr).toContain('Did you mean list?');
  });
});

describe('latch usage: help, version, completion, empty arguments', () => {
  it("`latch help <group> <command>` is that command's --help, and lists the global options", async () => {
    const viaHelp = await run(['help', 'api-keys', 'create']);
    const viaFlag = await run(['api-keys', 'create', '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toContain('Usage: latch api-keys create [options] [name]');
    for (const flag of [
      '--json',
      '--yes',
      '--org <org>',
      '--project <project>',
      '--env <name>',
      '--api-url <url>',
    ]) {
      expect(viaHelp.stdout, flag).toContain(flag);
    }
    const nested = await run(['help', 'service-accounts', 'keys', 'revoke']);
    expect(nested.stdout).toContain('Usage: latch service-accounts keys revoke [options] <account> <keyId>');
    expect(nested.stdout).toContain('--json');
  });

  it('-v and --version print the version', async () => {
    const short = await run(['-v']);
    expect(short.code).toBe(0);
    expect(short.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(['--version'])).stdout).toBe(short.stdout);
  });

  it('latch completion bash|zsh|fish prints a script that knows every command and its flags', async () => {
    const bash = await run(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -F _latch latch');
    expect(bash.stdout).toContain("'api-keys create') echo '");
    expect(bash.stdout).toMatch(/'api-keys create'\) echo '[^']*--scope[^']*--meta/);
    expect((await run(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    const fish = await run(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c latch -f -a '(__latch_complete)'");
    expect(fish.stdout).toContain("case 'service-accounts keys'");
    const bad = await run(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('No completion for "tcsh"');
  });

  it('an empty id is a usage error before any request', async () => {
    // No server is running: reaching the network would be "cannot reach", exit 1.
    const r = await run(['api-keys', 'revoke', '', '--project', 'acme', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The id argument is empty.');
    const json = await run(['--json', 'pats', 'revoke', '  ']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'USAGE' });
  });
});
