import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/http/json-body.js';
import { useTestApp } from '../helpers/app.js';
import { seed } from './seed.js';

const t = useTestApp();

describe('deeply nested JSON bodies', () => {
  it('are refused with 400 INVALID_JSON before anything walks them (manifests were a 500)', async () => {
    const s = await seed(t);
    const env = `/api/v1/orgs/${s.orgId}/projects/sweep/environments/production`;
    for (const [open, close] of [
      ['[', ']'],
      ['{"a":', '}'],
    ]) {
      const deep = `${open!.repeat(5000)}1${close!.repeat(5000)}`;
      for (const [url, payload] of [
        [`${env}/manifest`, `{"project":"sweep","apiKeys":${deep}}`],
        [`${env}/deploy`, `{"manifest":{"x":${deep}}}`],
        [`/api/v1/orgs`, deep],
      ]) {
        const res = await t.app.inject({
          method: 'POST',
          url: url!,
          headers: { ...t.auth(s.owner.token), 'content-type': 'application/json' },
          payload: payload!,
        });
        expect(res.statusCode, `${url} ${open}`).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'INVALID_JSON', hint: expect.stringContaining('32') });
      }
    }
  });

  it('counts only brackets outside strings', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[[[', b: '\\"[[[[' }), 2)).toBe(false);
  });
});
