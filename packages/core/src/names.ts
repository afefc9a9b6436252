import { TOKEN_PREFIX_RE, TOKEN_PREFIXES } from './tokens/tokens.js';

/** Project names: lowercase, used in URLs, config files and key prefixes. */
export const PROJECT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
/** Environment names (SPEC section 1); any number of them per project. */
export const ENVIRONMENT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
export const STANDARD_ENVIRONMENTS = ['development', 'staging', 'production', 'preview'] as const;

const NAME_RULE = 'a lowercase letter, then up to 39 lowercase letters, digits or dashes';

export function projectNameError(name: string): string | null {
  if (PROJECT_NAME_RE.test(name)) return null;
  const lower = name.trim().toLowerCase();
  const tip = lower !== name && PROJECT_NAME_RE.test(lower) ? ` (try "${lower}")` : '';
  return `"${name}" is not a valid project name: use ${NAME_RULE}${tip}`;
}

export function environmentNameError(name: string): string | null {
  if (ENVIRONMENT_NAME_RE.test(name)) return null;
  const lower = name.trim().toLowerCase();
  const tip = lower !== name && ENVIRONMENT_NAME_RE.test(lower) ? `try "${lower}", or ` : '';
  return `"${name}" is not a valid environment name: use ${NAME_RULE} (${tip}e.g. ${STANDARD_ENVIRONMENTS.join(', ')})`;
}

const RESERVED_PREFIX = 'lk_';

/**
 * App API keys start with the project's prefix (`acme_`), so secret scanners and people can tell
 * whose key it is. `lk_` is reserved: platform credentials start with it.
 */
export function keyPrefixError(prefix: string): string | null {
  if (prefix.startsWith(RESERVED_PREFIX) || Object.values(TOKEN_PREFIXES).includes(prefix as never)) {
    return `"${prefix}" is reserved for Latchkey's own tokens (lk_…): pick another key prefix`;
  }
  if (TOKEN_PREFIX_RE.test(prefix)) return null;
  return `"${prefix}" is not a valid key prefix: use a lowercase letter, up to 15 more letters or digits, then _ (e.g. acme_ or acme_live_)`;
}

/** `acme` → `acme_`; also accepts a prefix given without its final underscore. */
export function normalizeKeyPrefix(prefix: string): string {
  const p = prefix.trim().toLowerCase();
  return p.endsWith('_') ? p : `${p}_`;
}

/** `acme-api` → `acmeapi_`: the project name's letters and digits, at most 16, then `_`. */
export function deriveKeyPrefix(projectName: string): string {
  const core = projectName
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 16);
  const prefix = `${core}_`;
  // A name like "lk" would collide with the reserved prefix; step aside deterministically.
  return keyPrefixError(prefix) === null ? prefix : `${core.slice(0, 13)}app_`;
}
