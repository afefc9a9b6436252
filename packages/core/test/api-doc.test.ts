import { readFileSync } from 'node:fs';
import { endpointList } from '@latchkey/core';
import { describe, expect, it } from 'vitest';

// docs/api.md is prose for people; the contract table is the API. This keeps the two in step:
// every endpoint is documented with its method, path and permission, and the document names no
// route the table does not have.
const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
// The document abbreviates the environment routes' common prefix as `BASE`.
const base = /`BASE` is `([^`]+)`/.exec(doc)?.[1] ?? '';
const ROW = /^\| (GET|POST|PUT|PATCH|DELETE) `((?:\/api\/v1|BASE)[^`]*)` \| ([a-z_]+(?::[a-z]+)?)\b/gm;

describe('docs/api.md', () => {
  it('documents every endpoint of the contract table, and no other, with its permission', () => {
    const documented = [...doc.matchAll(ROW)]
      .map((m) => `${m[1]} ${m[2]!.replace(/^BASE/, base)} ${m[3]}`)
      .sort();
    const declared = endpointList.map(({ endpoint: e }) => `${e.method} ${e.path} ${e.permission}`).sort();
    expect(documented).toEqual(declared);
  });
});
