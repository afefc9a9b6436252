import { AppError } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { loadSecrets } from '../src/index.js';
import { useLatchkey } from './helpers/latchkey.js';

const lk = useLatchkey();

describe('loadSecrets against a real server', () => {
  it('reads the current release (or the newest values), into an object if asked', async () => {
    const { t, project } = lk;
    const env = `${project.base}/environments/production`;
    const put = (name: string, value: string) =>
      t.app.inject({
        method: 'PUT',
        url: `${env}/secrets/${name}`,
        headers: t.auth(project.owner.token),
        payload: { value },
      });
    const opts = { ...lk.verifierOptions() };

    await put('STRIPE_SECRET_KEY', 'sk_v1');
    await expect(loadSecrets(opts)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await t.app.inject({
      method: 'POST',
      url: `${env}/deploy`,
      headers: t.auth(project.owner.token),
      payload: {},
    });
    await put('STRIPE_SECRET_KEY', 'sk_v2');

    const target: Record<string, string | undefined> = { STRIPE_SECRET_KEY: 'from-shell', OTHER: 'kept' };
    expect(await loadSecrets({ ...opts, into: target })).toEqual({ STRIPE_SECRET_KEY: 'sk_v1' });
    expect(target).toEqual({ STRIPE_SECRET_KEY: 'sk_v1', OTHER: 'kept' });
    expect(await loadSecrets({ ...opts, latest: true })).toEqual({ STRIPE_SECRET_KEY: 'sk_v2' });

    const missing = await loadSecrets({ ...opts, environment: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).code).toBe('NOT_FOUND');
  });
});
