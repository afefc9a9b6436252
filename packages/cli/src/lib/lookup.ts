import { CliError } from './exit.js';

/**
 * Check first, then ask (issue 17 item 11): a revoke or delete command looks its target up before
 * its question, so "not found" comes before "are you sure?" and the question names what goes.
 */
export function findOrFail<T>(
  items: readonly T[],
  match: (item: T) => boolean,
  missing: string,
  hint: string,
): T {
  const found = items.find(match);
  if (found === undefined) throw new CliError(missing, { code: 'NOT_FOUND', hint });
  return found;
}

/** Ids match exactly; names ignore case (as the server matches them). */
export function sameRef(ref: string, item: { id: string; name: string }): boolean {
  return item.id === ref || item.name.toLowerCase() === ref.toLowerCase();
}
