import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CiIssuer, githubClaims, startCiIssuer } from '../../packages/server/test/helpers/ci-issuer.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
let ci: CiIssuer;
const owner = tempDir('trust-owner');
/** The CI job: no login of its own, only the OIDC token its CI put in an environment variable. */
const job = tempDir('trust-ci');

beforeAll(async () => {
  ci = await startCiIssuer();
  server = await startServer();
  await deviceLogin(server.url, owner.path, 'tara@example.com');
  const made = await latch(['org', 'create', 'Trustco', '--use'], { configDir: owner.path });
  expect(made.code, made.stderr).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  await ci?.close();
  for (const dir of [owner, job]) dir.remove();
});

const asJob = (args: string[], env: Record<string, string> = {}) =>
  latch(args, { configDir: job.path, env: { LATCH_API_URL: server.url, CI: 'true', ...env } });

describe('trust policies through the real latch binary', () => {
  it('an owner trusts acme/api on main; the CI job logs in with its OIDC token and works within scope only', async () => {
    const created = await latch(
      [
        'trust-policies',
        'create',
        '--issuer',
        ci.issuer,
        '--audience',
        'latchkey',
        '--claim',
        'repository=acme/api',
        '--claim',
        'ref=refs/heads/main',
        '--scope',
        'projects:read,platform_keys:read',
        '--ttl',
        '15m',
        '--name',
        'api deploys',
        '--json',
      ],
      { configDir: owner.path },
    );
    expect(created.code, created.stderr).toBe(0);
    const policy = created.json();
    expect(policy).toMatchObject({
      name: 'api deploys',
      ttlSeconds: 900,
      scopes: ['projects:read', 'platform_keys:read'],
    });

    const listed = await latch(['trust-policies', 'list'], { configDir: owner.path });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('api deploys');
    expect(listed.stdout).toContain('repository=acme/api');

    // The claim-by-claim test, for a token from another branch: no match, exit 1, the reason shown.
    const feature = await ci.mint(githubClaims('acme/api', 'refs/heads/feature'));
    const tested = await latch(['trust-policies', 'test', '--token', feature], { configDir: owner.path });
    expect(tested.code).toBe(1);
    expect(tested.stdout).toContain('refs/heads/feature');
    expect(tested.stdout).toContain('No policy would accept this token');
    const testedJson = await latch(['trust-policies', 'test', '--token', await ci.mint(), '--json'], {
      configDir: owner.path,
    });
    expect(testedJson.code, testedJson.stderr).toBe(0);
    expect(testedJson.json()).toMatchObject({ signature: { status: 'valid' }, matched: { id: policy.id } });

    // The job: exchange, then commands within the policy's scopes work and others are refused.
    const jwt = await ci.mint();
    const login = await asJob(['login', '--oidc-token-env', 'ACTIONS_ID_TOKEN', '--org', 'Trustco'], {
      ACTIONS_ID_TOKEN: jwt,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('Signed in');
    expect(login.stdout + login.stderr).not.toContain(jwt);
    const projects = await asJob(['projects', 'list']);
    expect(projects.code, projects.stderr).toBe(0);
    const keys = await asJob(['keys', 'list', '--json']);
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.json()[0]).toMatchObject({ name: 'api deploys (exchanged)', createdBy: 'tara@example.com' });
    const outside = await asJob(['projects', 'create', 'sneaky']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('projects:write');

    // The exchanged key, stored like any login, also works as LATCH_TOKEN with no config at all.
    const stored = JSON.parse(readFileSync(join(job.path, 'config.json'), 'utf8'));
    expect(stored.token).toMatch(/^lk_key_/);
    const bare = tempDir('trust-bare');
    try {
      const viaEnv = await latch(['keys', 'list'], {
        configDir: bare.path,
        env: { LATCH_TOKEN: stored.token, LATCH_API_URL: server.url },
      });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
    } finally {
      bare.remove();
    }

    // A token the policies do not accept: exit 4, and where to look.
    const refusedJwt = await asJob(['login', '--oidc-token-env', 'ACTIONS_ID_TOKEN', '--org', 'Trustco'], {
      ACTIONS_ID_TOKEN: await ci.mint(githubClaims('evil/api')),
    });
    expect(refusedJwt.code).toBe(4);
    expect(refusedJwt.stderr).toContain('No trust policy of Trustco accepts this token');
    expect(refusedJwt.stderr).toContain('latch trust-policies test');
  });

  it('refuses, with exit 2, a missing variable or org, and a policy without a subject condition', async () => {
    const noVar = await asJob(['login', '--oidc-token-env', 'NOT_SET_ANYWHERE', '--org', 'Trustco']);
    expect(noVar.code).toBe(2);
    expect(noVar.stderr).toContain('NOT_SET_ANYWHERE');
    const noOrg = await asJob(['login', '--oidc-token-env', 'T'], { T: await ci.mint() });
    expect(noOrg.code).toBe(2);
    expect(noOrg.stderr).toContain('--org');
    const weak = await latch(
      [
        'trust-policies',
        'create',
        '--issuer',
        ci.issuer,
        '--audience',
        'latchkey',
        '--claim',
        'ref=refs/heads/main',
        '-s',
        'projects:read',
      ],
      { configDir: owner.path },
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('trust every workload');
  });

  it('deletes a policy (with --yes) and the job credential stops working', async () => {
    const list = await latch(['trust-policies', 'list', '--json'], { configDir: owner.path });
    const [policy] = list.json();
    const noYes = await latch(['trust-policies', 'delete', policy.id], { configDir: owner.path });
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const deleted = await latch(['trust-policies', 'delete', policy.id, '--yes'], { configDir: owner.path });
    expect(deleted.code, deleted.stderr).toBe(0);
    const after = await asJob(['projects', 'list']);
    expect(after.code).toBe(4);
  });
});
