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
    expect(status.stderr).toContain("unknown command 'status'. Did you mean `latch auth status`?");
    const open = await run(['open']);
    expect(open.stderr).toContain('Did you mean `latch login`?');
    const json = await run(['--json', 'stauts']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr).error).toMatchObject({
      code: 'USAGE',
      message: "unknown command 'stauts'. Did you mean `latch auth status`?",
    });
    // A typo inside a group keeps commander's own suggestion.
    expect((await run(['org', 'lst'])).stderr).toContain('Did you mean list?');
  });
});
