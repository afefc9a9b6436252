import { endpoints, type SecretHistory, type SecretList, type SecretStatus } from '@latchkey/core';
import type { Colors } from './color.js';
import { usageError } from './exit.js';
import type { Io } from './io.js';
import { chooseEnvironments, type ProjectSelection, requireProject } from './project.js';

export type TargetOptions = { env?: string; project?: string; cwd?: string };
export type Target = { sel: ProjectSelection; env: string; where: string };

/**
 * The project and environment a secrets command acts on. A lowercase `--env` is sent as given (the
 * server answers 404 with the names to choose from); without it, the project's only environment.
 */
export async function secretsTarget(io: Io, opts: TargetOptions): Promise<Target> {
  const sel = await requireProject(io, opts);
  const given = opts.env?.trim();
  // Names are lowercase: anything else is looked up (one more request) so `--env Production`
  // finds `production`, or fails with the closest names instead of the server's bare 404.
  const env =
    given && given === given.toLowerCase() ? given : (await chooseEnvironments(io, sel, given))[0]!.name;
  return { sel, env, where: `${sel.project}/${env}` };
}

/** Every page of an environment's secrets, as one list (with the environment and release of the first). */
export async function listSecrets(io: Io, org: string, project: string, env: string): Promise<SecretList> {
  let first: SecretList | undefined;
  for await (const page of io.api.pages(endpoints.secrets.list, { params: { org, project, env } })) {
    if (first) first.items.push(...page.items);
    else first = page;
  }
  return { ...first!, nextCursor: null };
}

/** Every version of one secret, as one list. */
export async function secretHistory(
  io: Io,
  params: { org: string; project: string; env: string; name: string },
  reveal: boolean,
): Promise<SecretHistory> {
  let first: SecretHistory | undefined;
  const query = reveal ? { reveal: 'true' as const } : {};
  for await (const page of io.api.pages(endpoints.secrets.history, { params, query })) {
    if (first) first.items.push(...page.items);
    else first = page;
  }
  return { ...first!, nextCursor: null };
}

/** All of stdin as text (for `set NAME -` and `import -`), so values stay out of shell history. */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export function statusText(c: Colors, status: SecretStatus): string {
  if (status === 'live') return c.green('live');
  if (status === 'pending') return c.yellow('pending deploy');
  return c.yellow('removed at next deploy');
}

export function checkEnvFlag(value: string | undefined, command: string): string {
  const env = value?.trim();
  if (!env) throw usageError(`${command} needs --env <name>.`, `Example: latch ${command} --env staging`);
  return env;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
