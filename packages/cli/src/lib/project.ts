import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Environment } from '@latchkey/core';
import { endpoints } from '@latchkey/core';
import { closest } from './closest.js';
import { CliError, usageError } from './exit.js';
import type { Io } from './io.js';
import { type OrgRef, resolveOrg } from './org.js';

export const LINK_DIR = '.latch';
export const LINK_FILE = 'project.json';

/** `.latch/project.json`: names, not ids, so one folder works against a dev and a production server. */
export type ProjectLink = { org: string; project: string };
export type LinkedFolder = { dir: string; file: string; link: ProjectLink };

/** `config`: named by the manifest's own `project` field (`latch scopes push` only). */
export type ProjectSource = 'flag' | 'env' | 'link' | 'config';
export type ProjectSelection = {
  org: OrgRef;
  /** Project name or id, as the server accepts it. */
  project: string;
  source: ProjectSource;
  /** The linked folder, when the project came from (or matches) a `.latch/project.json`. */
  linked: LinkedFolder | null;
};

export const NO_PROJECT_HINT =
  'Pass --project, set LATCH_PROJECT, or run `latch link` in your project folder.';

/** The nearest `.latch/project.json` from `cwd` upwards, like git finds `.git`. */
export function findLink(cwd: string): LinkedFolder | null {
  let dir = cwd;
  for (;;) {
    const file = join(dir, LINK_DIR, LINK_FILE);
    const link = readLink(file);
    if (link) return { dir, file, link };
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readLink(file: string): ProjectLink | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let data: Partial<ProjectLink> | null = null;
  try {
    data = JSON.parse(text) as Partial<ProjectLink>;
  } catch {
    // reported below with the one message
  }
  if (typeof data?.project === 'string' && data.project && typeof data.org === 'string' && data.org) {
    return { org: data.org, project: data.project };
  }
  throw new CliError(`${file} is not a valid project link (expected {"org": "...", "project": "..."}).`, {
    hint: 'Run `latch link <project>` in that folder to write it again.',
  });
}

/** Writes `<dir>/.latch/project.json` (creating `.latch/`) and returns its path. */
export function writeLink(dir: string, link: ProjectLink): string {
  const folder = join(dir, LINK_DIR);
  const file = join(folder, LINK_FILE);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ org: link.org, project: link.project }, null, 2)}\n`);
  } catch (err) {
    throw new CliError(`Cannot write ${file} (${(err as Error).message}).`, {
      hint: 'Check the folder permissions, or pass --project to each command instead.',
    });
  }
  return file;
}

/**
 * The project a command acts on, first match wins: `--project`, then `LATCH_PROJECT`, then the
 * linked folder (`.latch/project.json` here or in a parent folder). The org is `--org` if given,
 * else the link's org when the project came from the link, else the usual org resolution.
 * Returns null when nothing selects a project; `requireProject` turns that into the usage error.
 */
export async function findProject(
  io: Io,
  opts: { project?: string | undefined; cwd?: string | undefined },
): Promise<ProjectSelection | null> {
  const linked = findLink(opts.cwd ?? process.cwd());
  const flag = opts.project?.trim();
  const fromEnv = io.env.LATCH_PROJECT?.trim();
  const explicit = flag
    ? { project: flag, source: 'flag' as const }
    : fromEnv
      ? { project: fromEnv, source: 'env' as const }
      : null;
  if (explicit) {
    const org = await resolveOrg(io);
    const same = linked && linked.link.project.toLowerCase() === explicit.project.toLowerCase();
    return { org, ...explicit, linked: same ? linked : null };
  }
  if (!linked) return null;
  const org = io.context.org
    ? { ref: io.context.org, label: io.context.org }
    : { ref: linked.link.org, label: linked.link.org };
  return { org, project: linked.link.project, source: 'link', linked };
}

export async function requireProject(
  io: Io,
  opts: { project?: string | undefined; cwd?: string | undefined },
): Promise<ProjectSelection> {
  const found = await findProject(io, opts);
  if (!found) throw usageError('No project selected.', NO_PROJECT_HINT);
  return found;
}

/** Where a selection came from, for messages: `acme (from .latch/project.json)`. */
export function describeSelection(sel: ProjectSelection): string {
  const from = {
    flag: '--project',
    env: 'LATCH_PROJECT',
    link: sel.linked?.file ?? LINK_FILE,
    config: 'the config file',
  }[sel.source];
  return `${sel.project} (from ${from})`;
}

const STANDARD_ORDER = ['development', 'staging', 'production', 'preview'];

/** The standard environments in their usual order first, then the others alphabetically. */
export function sortEnvironments<T extends { name: string }>(envs: T[]): T[] {
  const rank = (n: string) => {
    const i = STANDARD_ORDER.indexOf(n);
    return i === -1 ? STANDARD_ORDER.length : i;
  };
  return [...envs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/**
 * The environments a command acts on: the `--env` names given (checked to exist), or the
 * project's only environment when there is exactly one. Anything else is a usage error that lists
 * the names to choose from.
 */
export async function chooseEnvironments(
  io: Io,
  sel: ProjectSelection,
  wanted: string[] | string | undefined,
  opts: { many?: boolean } = {},
): Promise<Environment[]> {
  const names = ([] as string[])
    .concat(wanted ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const envs = sortEnvironments(
    await io.api.all(endpoints.environments.list, { params: { org: sel.org.ref, project: sel.project } }),
  );
  const list = envs.map((e) => e.name).join(', ');
  if (names.length === 0) {
    if (envs.length === 1) return envs;
    if (envs.length === 0) {
      throw new CliError(`Project ${sel.project} has no environments yet.`, {
        hint: 'Create one with `latch env create development` (or staging, production, preview).',
      });
    }
    const several = opts.many ? ' (repeat it, or separate names with commas, for several)' : '';
    throw usageError(
      `Project ${sel.project} has ${envs.length} environments (${list}): say which with --env <name>${several}.`,
    );
  }
  if (!opts.many && names.length > 1) throw usageError('Give one --env here.');
  return [...new Set(names)].map((name) => {
    const env = envs.find((e) => e.name === name.toLowerCase() || e.id === name);
    if (!env) {
      const near = closest(
        name,
        envs.map((e) => e.name),
      );
      const meant = near.length ? `Did you mean ${near.map((n) => `--env ${n}`).join(' or ')}? ` : '';
      throw new CliError(`Project ${sel.project} has no environment ${name}.`, {
        hint: envs.length
          ? `${meant}Its environments: ${list}. Create one with \`latch env create ${name.toLowerCase()}\`.`
          : `Create it with \`latch env create ${name.toLowerCase()}\`.`,
        code: 'NOT_FOUND',
      });
    }
    return env;
  });
}
