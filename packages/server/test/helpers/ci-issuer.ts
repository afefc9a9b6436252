import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/**
 * A CI system's OIDC issuer on loopback, imitating GitHub Actions: it serves
 * `/.well-known/openid-configuration` and a JWKS, and signs job tokens with its RS256 key.
 */
export type CiIssuer = {
  issuer: string;
  /** A job token for acme/api on main unless `claims` says otherwise (`iss`/`aud` may be overridden). */
  mint(claims?: JWTPayload, opts?: { expiresIn?: number; notBefore?: number }): Promise<string>;
  /** How many times the JWKS was fetched (the cache is under test). */
  jwksFetches(): number;
  close(): Promise<void>;
};

export function githubClaims(repo = 'acme/api', ref = 'refs/heads/main'): JWTPayload {
  const [owner] = repo.split('/');
  return {
    sub: `repo:${repo}:ref:${ref}`,
    aud: 'latchkey',
    repository: repo,
    repository_owner: owner,
    repository_id: '123456',
    ref,
    ref_type: 'branch',
    workflow: 'deploy',
    job_workflow_ref: `${repo}/.github/workflows/deploy.yml@${ref}`,
    actor: 'octocat',
    run_id: '42',
    event_name: 'push',
  };
}

export async function startCiIssuer(): Promise<CiIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'ci-key-1', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  let issuer = '';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (req.url === '/.well-known/jwks') {
      fetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async mint(claims = githubClaims(), opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'ci-key-1', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(now + (opts.expiresIn ?? 300))
        .setJti(`jti-${Math.random().toString(36).slice(2)}`);
      if (opts.notBefore !== undefined) jwt.setNotBefore(now + opts.notBefore);
      return jwt.sign(privateKey);
    },
    jwksFetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
