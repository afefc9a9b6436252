import { generateToken } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { run as login } from '../src/commands/auth/login.js';
import { run as create } from '../src/commands/trust-policies/create.js';
import { run as test } from '../src/commands/trust-policies/test.js';
import { ConfigStore } from '../src/lib/config.js';
import { EXIT } from '../src/lib/exit.js';
import { failure, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();
const POLICY = {
  id: 'tp_1',
  name: 'api deploys',
  issuer: 'https://token.actions.githubusercontent.com',
  audience: 'latchkey',
  claims: [
    { claim: 'repository', value: 'acme/api' },
    { claim: 'ref', value: 'refs/heads/release/*', glob: true },
  ],
  scopes: ['deploy:write'],
  ttlSeconds: 900,
  createdBy: 'ana@example.com',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: null,
};
const KEY_TOKEN = generateToken('lk_key_');
const ME_KEY = {
  user: null,
  token: {
    id: 'key_1',
    kind: 'platform_key',
    name: 'api deploys (exchanged)',
    prefix: KEY_TOKEN.slice(0, 11),
    scopes: ['deploy:write'],
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:15:00.000Z',
    lastUsedAt: null,
  },
  org: { id: 'org_acme', name: 'acme' },
};

describe('latch trust-policies', () => {
  it('create sends exact and glob rules, scopes and ttl', async () => {
    const api = await fake(() => ({ status: 201, body: POLICY }));
    const io = testIo(
      { org: 'acme' },
      { env: { LATCH_TOKEN: generateToken('lk_pat_'), LATCH_API_URL: api.url } },
    );
    await create(
      {
        issuer: POLICY.issuer,
        audience: 'latchkey',
        claim: ['repository=acme/api'],
        claimGlob: ['ref=refs/heads/release/*'],
        scope: ['deploy:write'],
        ttl: '15m',
        name: 'api deploys',
      },
      io,
    );
    expect(api.seen[0]!.json).toEqual({
      issuer: POLICY.issuer,
      audience: 'latchkey',
      claims: POLICY.claims,
      scopes: ['deploy:write'],
      name: 'api deploys',
      ttl: '15m',
    });
    expect(io.stdoutText()).toBe('tp_1\n');
    expect(io.stderrText()).toContain('ref~refs/heads/release/*');
  });

  it('create refuses malformed rules and missing flags locally with exit 2', async () => {
    const io = testIo({ org: 'acme' }, { env: { LATCH_TOKEN: generateToken('lk_pat_') } });
    const base = { issuer: POLICY.issuer, audience: 'latchkey', scope: ['deploy:write'] };
    for (const opts of [
      { ...base, claim: ['repository'] },
      { ...base, claim: ['=acme'] },
      { ...base, claim: ['repository='] },
      { ...base },
      { ...base, issuer: undefined, claim: ['repository=a/b'] },
      { ...base, scope: [], claim: ['repository=a/b'] },
    ]) {
      const err = await failure(create(opts, io));
      expect(err.exitCode, JSON.stringify(opts)).toBe(EXIT.usage);
      expect(err.hint).toContain('Example');
    }
  });

  it('test prints a claim-by-claim table and exits 1 when nothing matches', async () => {
    const answer = {
      token: {
        issuer: POLICY.issuer,
        audience: ['latchkey'],
        subject: 'repo:acme/api:ref:refs/heads/main',
        algorithm: 'RS256',
        expiresAt: null,
      },
      signature: { status: 'valid', detail: 'ok' },
      matched: null,
      policies: [
        {
          id: 'tp_1',
          name: 'api deploys',
          matched: false,
          reason: '"ref" is refs/heads/main, the policy wants a match of refs/heads/release/*',
          checks: [
            { claim: 'repository', expected: 'acme/api', actual: 'acme/api', glob: false, ok: true },
            {
              claim: 'ref',
              expected: 'refs/heads/release/*',
              actual: 'refs/heads/main',
              glob: true,
              ok: false,
            },
          ],
        },
      ],
    };
    const api = await fake(() => ({ body: answer }));
    const io = testIo(
      { org: 'acme' },
      { env: { LATCH_TOKEN: generateToken('lk_pat_'), LATCH_API_URL: api.url, JOB_TOKEN: 'a.b.c' } },
    );
    await test({ tokenEnv: 'JOB_TOKEN' }, io);
    expect(api.seen[0]!.json).toEqual({ token: 'a.b.c' });
    expect(io.stdoutText()).toContain('refs/heads/main');
    expect(io.stdoutText()).toContain('No policy would accept this token');
    expect(process.exitCode).toBe(EXIT.error);
    process.exitCode = 0;
  });
});

describe('latch login --oidc-token-env', () => {
  it('exchanges the token (RFC 8693) and stores the short-lived key like a login', async () => {
    const api = await fake((req) =>
      req.path === '/oauth/token'
        ? {
            body: {
              access_token: KEY_TOKEN,
              issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
              token_type: 'Bearer',
              expires_in: 900,
              scope: 'deploy:write',
            },
          }
        : { body: ME_KEY },
    );
    const dir = tempDir();
    const io = testIo(
      { org: 'acme', apiUrl: api.url },
      { env: { ACTIONS_ID_TOKEN: 'h.p.s' }, configDir: dir },
    );
    await login({ oidcTokenEnv: 'ACTIONS_ID_TOKEN' }, io);
    const form = api.seen[0]!.form!;
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(form.get('subject_token')).toBe('h.p.s');
    expect(form.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:jwt');
    expect(form.get('org')).toBe('acme');
    expect(new ConfigStore(dir).data).toMatchObject({ token: KEY_TOKEN, activeOrg: { id: 'org_acme' } });
    expect(io.stdoutText() + io.stderrText()).not.toContain('h.p.s');
  });

  it('a refusal is exit 4 with the server hint; a missing variable or org is exit 2', async () => {
    const api = await fake(() => ({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'No trust policy of acme accepts this token.',
        hint: 'run test',
      },
    }));
    const io = testIo({ org: 'acme', apiUrl: api.url }, { env: { T: 'h.p.s' } });
    const refused = await failure(login({ oidcTokenEnv: 'T' }, io));
    expect(refused.exitCode).toBe(EXIT.auth);
    expect(refused.message).toContain('No trust policy of acme');
    expect(refused.hint).toBe('run test');
    expect((await failure(login({ oidcTokenEnv: 'UNSET' }, io))).exitCode).toBe(EXIT.usage);
    const noOrg = testIo({ apiUrl: api.url }, { env: { T: 'h.p.s' } });
    expect((await failure(login({ oidcTokenEnv: 'T' }, noOrg))).exitCode).toBe(EXIT.usage);
  });
});
