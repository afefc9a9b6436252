import { endpoints } from '@latchkey/core';
import { usageError } from './exit.js';
import type { Io } from './io.js';

export type OrgRef = { ref: string; label: string };

/**
 * The org a command acts on: `--org` (id or name, the server matches names case-insensitively)
 * or else the active org. The active org is sent by id so a rename cannot redirect it.
 */
export function requireOrg(io: Io): OrgRef {
  if (io.context.org) return { ref: io.context.org, label: io.context.org };
  const active = io.config.data.activeOrg;
  if (active) return { ref: active.id, label: active.name };
  throw usageError(
    'No org selected.',
    'Run `latch org use <name>` (`latch org list` shows yours), or pass --org <name>.',
  );
}

/** Platform keys and service-account keys belong to exactly one org (SPEC 2). */
const ORG_BOUND_PREFIXES = ['lk_key_', 'lk_sa_'];

/**
 * Like requireOrg, for credentials that carry their org: `--org`, else for a platform or
 * service-account key the org it belongs to (GET /api/v1/me: no other org could answer, so a
 * stored active org of another login must not win), else the active org. This is what lets
 * `LATCH_TOKEN=lk_key_… latch <command>` run in CI with no config at all.
 */
export async function resolveOrg(io: Io): Promise<OrgRef> {
  if (io.context.org) return { ref: io.context.org, label: io.context.org };
  const token = io.context.token;
  const active = io.config.data.activeOrg;
  const orgBound = Boolean(token && ORG_BOUND_PREFIXES.some((p) => token.startsWith(p)));
  if (active && !orgBound) return { ref: active.id, label: active.name };
  if (!token) return requireOrg(io);
  const me = await io.api.call(endpoints.me.get);
  if (me.org) return { ref: me.org.id, label: me.org.name };
  return requireOrg(io);
}
