import { AppError } from '@latchkey/core';
import type { FastifyInstance } from 'fastify';

/** Far deeper than any request of the API (a manifest is about six levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep `text` nests arrays and objects goes past `max`, found in one pass over the text
 * (strings skipped), before anything recursive (validation, manifests, jsonb) ever sees it.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * Fastify's own JSON parser (prototype-poisoning checks included), refusing bodies nested deeper
 * than MAX_JSON_DEPTH: a 100,000-deep array would otherwise overflow the stack of whatever walks it.
 */
export function registerJsonBodyParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      return done(
        new AppError('INVALID_JSON', `The JSON is nested more than ${MAX_JSON_DEPTH} levels deep.`, {
          hint: `Nest arrays and objects at most ${MAX_JSON_DEPTH} levels deep.`,
        }),
        undefined,
      );
    }
    parse(req, text, done);
  });
}
