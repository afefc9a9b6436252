import { CHECKSUM_LENGTH, RANDOM_LENGTH, tokenPrefix } from './tokens.js';

const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;
/** Longest prefix TOKEN_PREFIX_RE allows: `word_word_`, 16 characters each. */
const MAX_PREFIX_LENGTH = 34;
/** A run that can hold a token: a prefix (lowercase, digits, `_`) then at least a token's body. */
const CANDIDATE_RE = new RegExp(`[A-Za-z0-9_]{${BODY_LENGTH + 2},}`, 'g');
const isBase62 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export const REDACTED = '[redacted]';

/**
 * A webhook signing secret (Standard Webhooks: `whsec_` and base64, 24 bytes or more): no
 * checksum to verify, so any such run is taken for one. It grants no access to Latchkey, but
 * whoever holds it can forge deliveries the receiver will trust.
 */
const SIGNING_SECRET_PREFIX = 'whsec_';
const SIGNING_SECRET_RE = /whsec_[A-Za-z0-9+/]{32,}={0,2}/g;
const SIGNING_SECRET_REDACTED = `${SIGNING_SECRET_PREFIX}${REDACTED}`;

/** Where the tokens in `run` are, as [start, end) pairs: prefix and body, checksum verified. */
function tokensIn(run: string): [number, number][] {
  const found: [number, number][] = [];
  let from = 0;
  // A body starts right after an underscore; try each, then each prefix start that could end there.
  for (let bodyStart = run.indexOf('_') + 1; bodyStart > 0; bodyStart = run.indexOf('_', bodyStart) + 1) {
    const end = bodyStart + BODY_LENGTH;
    if (end > run.length) break;
    let body = true;
    for (let i = bodyStart; i < end && body; i++) body = isBase62(run.charCodeAt(i));
    if (!body) continue;
    for (let start = Math.max(from, bodyStart - MAX_PREFIX_LENGTH); start < bodyStart - 1; start++) {
      if (tokenPrefix(run.slice(start, end)) !== null) {
        found.push([start, end]);
        from = end;
        bodyStart = end - 1;
        break;
      }
    }
  }
  return found;
}

/**
 * Replaces every token-shaped substring (any Latchkey token prefix or app API key prefix, with a
 * valid checksum: what tokenPrefix recognises), and every webhook signing secret, by its prefix
 * and `[redacted]`, wherever it sits in the text: in a path segment, a query value, a sentence.
 * For error messages, log lines
 * and audit entries, so a credential pasted in the wrong place is never echoed or recorded.
 */
export function redactTokens(text: string): string {
  const cleaned = text.includes(SIGNING_SECRET_PREFIX)
    ? text.replace(SIGNING_SECRET_RE, SIGNING_SECRET_REDACTED)
    : text;
  if (cleaned.length < BODY_LENGTH + 2) return cleaned;
  return cleaned.replace(CANDIDATE_RE, (run) => {
    const found = tokensIn(run);
    if (found.length === 0) return run;
    let out = '';
    let at = 0;
    for (const [start, end] of found) {
      const prefix = tokenPrefix(run.slice(start, end))!;
      out += `${run.slice(at, start)}${prefix}${REDACTED}`;
      at = end;
    }
    return out + run.slice(at);
  });
}

/** redactTokens over every string in a JSON-like value (keys included); returns a copy. */
export function redactTokensDeep<T>(value: T): T {
  if (typeof value === 'string') return redactTokens(value) as T;
  if (Array.isArray(value)) return value.map(redactTokensDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redactTokens(k)] = redactTokensDeep(v);
    return out as T;
  }
  return value;
}
