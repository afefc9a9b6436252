import {
  type DurationBounds,
  GRACE_BOUNDS,
  isPermission,
  parseBoundedDuration,
  parseDuration,
} from '@latchkey/core';
import { usageError } from './exit.js';

/**
 * `-s a:read,b:write -s c:read` → `['a:read', 'b:write', 'c:read']`, deduplicated. Each is checked
 * here so a slip is a usage error before any request; `-s` is variadic, so a name typed after it
 * lands here too, and the message says how to fix that.
 */
export function parseScopes(values: string[] | string | undefined): string[] {
  const list = ([] as string[])
    .concat(values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => !isPermission(s));
  if (bad.length) {
    throw usageError(
      `${bad.map((s) => `"${s}"`).join(', ')} ${bad.length === 1 ? 'is not a scope' : 'are not scopes'} (resource:level, e.g. deploy:write).`,
      'If one is the name, put the name before -s or pass --name. Resources: org, members, projects, environments, secrets, deploy, api_keys, platform_keys, service_accounts, webhooks, effects, audit, logs; levels read, write, manage.',
    );
  }
  return [...new Set(list)];
}

/** Checks a duration flag locally with the server's own bounds; returns it trimmed for the request. */
export function checkDuration(
  flag: string,
  value: string | undefined,
  bounds: DurationBounds,
  example: string,
): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseBoundedDuration(value, bounds);
  if (!parsed.ok) throw usageError(`${flag} ${parsed.error}.`, `Example: ${example}`);
  return value.trim();
}

/**
 * `--grace-period` of a rotation, checked with the server's bounds. `endsAtOnce`: it is 0, so
 * whatever still holds the old secret is refused at once (the command asks first).
 */
export function checkGracePeriod(
  value: string | undefined,
  command: string,
): { gracePeriod: string | undefined; endsAtOnce: boolean } {
  const gracePeriod = checkDuration(
    '--grace-period',
    value,
    GRACE_BOUNDS,
    `${command} --grace-period 24h (0 to 30d; 0 ends the old secret at once)`,
  );
  return { gracePeriod, endsAtOnce: gracePeriod !== undefined && parseDuration(gracePeriod) === 0 };
}

/** The name may be the first argument (`latch keys create ci`) or --name; both must agree. */
export function nameFrom(
  arg: string | undefined,
  flag: string | undefined,
  what: string,
  example: string,
): string {
  const a = arg?.trim();
  const f = flag?.trim();
  if (a && f && a !== f)
    throw usageError(`Two names given ("${a}" and --name "${f}").`, 'Give the name once.');
  const name = a || f;
  if (!name) throw usageError(`${what} needs a name.`, `Example: ${example}`);
  return name;
}
