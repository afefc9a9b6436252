import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../src/lib/command.js';
import { login, logout } from '../src/registry/auth.js';
import { link, routes } from '../src/registry/projects.js';
import { deploy, runLeaf } from '../src/registry/secrets.js';
import { GROUPS, type GroupSpec, type LeafSpec, registerCommands, SERVERS } from '../src/registry.js';

/** Every command path the CLI has (`['org', 'list']`, `['server', 'rotate-master-key']`, …). */
function paths(): { path: string[]; leaf: LeafSpec }[] {
  const out: { path: string[]; leaf: LeafSpec }[] = [];
  const leaf = (l: LeafSpec, at: string[]) => {
    out.push({ path: [...at, l.name], leaf: l });
    for (const s of l.subcommands ?? []) leaf(s, [...at, l.name]);
  };
  const group = (g: GroupSpec, at: string[]) => {
    for (const l of g.commands) leaf(l, [...at, g.name]);
    for (const s of g.groups ?? []) group(s, [...at, g.name]);
  };
  for (const l of [login, logout, link, routes, deploy, runLeaf, ...SERVERS]) leaf(l, []);
  for (const g of GROUPS) group(g, []);
  return out;
}

/** argv that gives every argument and every flag of `spec` a value. */
function fullArgv(spec: CommandSpec): string[] {
  const args = Object.values(spec.args ?? {}).map(() => 'x');
  const flags = Object.values(spec.options ?? {}).flatMap((o) => {
    const long = new Option(o.flags).long!;
    if (!/[<[]/.test(o.flags)) return [long];
    return [long, o.int ? '1' : (o.choices?.[0] ?? 'v')];
  });
  return [...args, ...flags];
}

describe('command specs', () => {
  const all = paths();

  it('covers every command, and each file exports its spec next to run', async () => {
    expect(all.length).toBeGreaterThan(50);
    for (const { path, leaf } of all) {
      const mod = await leaf.load();
      expect(typeof mod.run, path.join(' ')).toBe('function');
      expect(mod.spec, path.join(' ')).toBeTypeOf('object');
    }
  });

  it("names each flag's opts field as commander does (the key of the spec is the field run reads)", async () => {
    for (const { path, leaf } of all) {
      const { spec } = await leaf.load();
      for (const [key, o] of Object.entries(spec.options ?? {})) {
        expect(new Option(o.flags).attributeName(), `${path.join(' ')} ${o.flags}`).toBe(key);
      }
    }
  });

  it('parsing every flag and argument of a command yields exactly the keys its options type declares', async () => {
    for (const { path, leaf } of all) {
      const { spec } = await leaf.load();
      let seen: Record<string, unknown> | undefined;
      const program = new Command('latch')
        .exitOverride()
        .configureOutput({ writeErr: () => {}, writeOut: () => {} });
      await registerCommands(
        program,
        async (_mod, opts) => {
          seen = opts;
        },
        path,
      );
      const argv = [...path, ...fullArgv(spec)];
      await program.parseAsync(argv, { from: 'user' });
      const declared = [...Object.keys(spec.args ?? {}), ...Object.keys(spec.options ?? {})].sort();
      expect(Object.keys(seen ?? {}).sort(), argv.join(' ')).toEqual(declared);
    }
  });

  it('loads only the command that is typed: `org list` does not import the other commands', async () => {
    const loaded: string[] = [];
    const program = new Command('latch');
    const spy = (l: LeafSpec, at: string): LeafSpec => ({
      ...l,
      load: () => {
        loaded.push(at);
        return l.load();
      },
    });
    // The registry's own want() decides; count loads through a wrapped copy of the org group.
    const org = GROUPS.find((g) => g.name === 'org')!;
    const wrapped = { ...org, commands: org.commands.map((c) => spy(c, `org ${c.name}`)) };
    const original = GROUPS.splice(GROUPS.indexOf(org), 1, wrapped);
    try {
      await registerCommands(program, async () => {}, ['org', 'list']);
      expect(loaded).toEqual(['org list']);
      loaded.length = 0;
      await registerCommands(new Command('latch'), async () => {}, ['org']);
      expect(loaded).toEqual([]);
    } finally {
      GROUPS.splice(GROUPS.indexOf(wrapped), 1, ...original);
    }
  });
});
