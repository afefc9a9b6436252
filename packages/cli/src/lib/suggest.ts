import { link, routes } from '../registry/projects.js';
import { deploy, runLeaf } from '../registry/secrets.js';
import { GROUPS, type GroupSpec, type LeafSpec, SERVERS } from '../registry.js';
import { closest } from './closest.js';

/** Words people bring from other CLIs, and what they are called here. */
const SYNONYMS: Record<string, string[]> = {
  open: ['login'],
  signin: ['login'],
  'sign-in': ['login'],
  signout: ['logout'],
  'sign-out': ['logout'],
  start: ['dev', 'server'],
};

function commandPaths(): string[] {
  const paths: string[] = ['login', 'logout', 'whoami'];
  const walk = (prefix: string, group: GroupSpec) => {
    const here = `${prefix}${group.name}`;
    paths.push(here);
    for (const leaf of group.commands) paths.push(`${here} ${leaf.name}`);
    for (const sub of group.groups ?? []) walk(`${here} `, sub);
  };
  for (const g of GROUPS) walk('', g);
  for (const leaf of [link, routes, deploy, runLeaf, ...SERVERS] as LeafSpec[]) paths.push(leaf.name);
  return paths;
}

/**
 * Commands to suggest for an unknown first word: a subcommand of that name in any group
 * (`status` → `auth status`), a known synonym (`open`), or a near miss (`lgoin` → `login`).
 */
export function suggestCommands(word: string): string[] {
  const w = word.toLowerCase();
  const paths = commandPaths();
  const byLeaf = paths.filter((p) => p.includes(' ') && p.split(' ').at(-1) === w);
  const synonyms = SYNONYMS[w] ?? [];
  const found = [...new Set([...byLeaf, ...synonyms])];
  if (found.length) return found.slice(0, 4);
  const top = paths.filter((p) => !p.includes(' '));
  const near = closest(w, top);
  if (near.length) return near.slice(0, 3);
  // A typo of a subcommand's name: `latch stauts` → `auth status`.
  const leaves = paths.filter((p) => p.includes(' '));
  const names = [...new Set(leaves.map((p) => p.split(' ').at(-1)!))];
  const nearLeaf = new Set(closest(w, names));
  return leaves.filter((p) => nearLeaf.has(p.split(' ').at(-1)!)).slice(0, 4);
}
