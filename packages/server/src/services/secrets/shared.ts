import { AppError, secretNameError } from '@latchkey/core';
import type { Actor } from '../actor.js';
import { auditActorOf } from '../audit/audit.service.js';
import type { EnvironmentRow } from '../projects/environments.service.js';
import type { ProjectRow } from '../projects/projects.service.js';
import type { SecretVersionRow } from './secrets.repo.js';

/** Where a secret lives, resolved once per request and passed down. */
export type Place = { project: ProjectRow; env: EnvironmentRow; where: string };

export function placeOf(project: ProjectRow, env: EnvironmentRow): Place {
  return { project, env, where: `${project.name}/${env.name}` };
}

export const envRef = (p: Place) => ({ id: p.env.id, name: p.env.name });
export const keyRef = (p: Place) => ({ id: p.env.id, orgId: p.env.orgId });

export function valueContext(p: Place, name: string, version: number) {
  return { orgId: p.env.orgId, projectId: p.project.id, environmentId: p.env.id, name, version };
}

/** Where a release's resolved values belong (add the name): see crypto.ts's ResolvedContext. */
export function resolvedContext(p: Place, releaseId: string) {
  return { orgId: p.env.orgId, projectId: p.project.id, environmentId: p.env.id, releaseId };
}

/** The name rule as a 400 that states it (never a value). */
export function checkName(raw: string): string {
  const name = raw.trim();
  const error = secretNameError(name);
  if (error) {
    throw new AppError('INVALID_INPUT', `name: ${error}.`, {
      hint: 'Secret names are UPPER_SNAKE_CASE: a capital letter, then capitals, digits and underscores.',
      details: { issues: [{ path: 'name', message: error }] },
    });
  }
  return name;
}

export function secretNotFound(name: string, p: Place, unsetIn?: number): AppError {
  const why = unsetIn ? ` (it was unset in version ${unsetIn})` : '';
  return new AppError('NOT_FOUND', `No secret ${name} in ${p.where}${why}.`, {
    hint: `Run \`latch secrets list --env ${p.env.name}\` to see the names, or \`latch secrets set ${name} <value> --env ${p.env.name}\`.`,
  });
}

export function managedSecret(name: string, p: Place): AppError {
  return new AppError(
    'CONFLICT',
    `${name} in ${p.where} is managed by Latchkey and cannot be changed by hand.`,
    {
      hint: 'It holds the connection string of the environment database; it changes only with the environment.',
    },
  );
}

/** Who made a version, as stored with it (the audit log keeps the full actor). */
export function authorOf(actor: Actor) {
  const who = auditActorOf(actor);
  return { createdByType: who.type, createdBy: who.id, createdByLabel: who.label };
}

export const isUnset = (row: SecretVersionRow) => row.ciphertext === null;
