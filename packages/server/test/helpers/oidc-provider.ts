import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import type { OidcConfig } from '../../src/config.js';
import type { Browser, Response } from '../web/browser.js';

export type Account = { email?: string; email_verified?: boolean; name?: string };

/**
 * A real OpenID Connect provider (oidc-provider 9) on 127.0.0.1 and a random port, as Latchkey's
 * upstream. Its dev interactions sign in any account id of `accounts` (any password).
 */
export type UpstreamIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, Account>;
  provider: Provider;
  /** Paths of every request the provider received, in order. */
  requests: string[];
  /** Latchkey's OIDC settings for this provider. */
  settings(over?: Partial<OidcConfig>): OidcConfig;
  /** A JWT signed with the provider's own signing key (what its JWKS publishes). */
  signJwt(claims: Record<string, unknown>, opts?: { expiresIn?: number; alg?: string }): Promise<string>;
  /** An opaque access token issued by the provider itself, valid at its UserInfo endpoint. */
  opaqueToken(accountId: string): Promise<string>;
  close(): Promise<void>;
};

export async function startUpstreamIdp(opts: { redirectUri: string }): Promise<UpstreamIdp> {
  const accounts = new Map<string, Account>();
  const requests: string[] = [];
  let handler: ((req: never, res: never) => void) | null = null;
  const server: Server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://idp.invalid').pathname);
    handler!(req as never, res as never);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const clientId = 'latchkey';
  const clientSecret = 'a-test-client-secret-that-is-long-enough-for-hs256';

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  handler = provider.callback() as never;

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    provider,
    requests,
    settings: (over = {}) => ({
      issuer,
      clientId,
      clientSecret,
      allowSignup: false,
      allowedDomains: null,
      audience: clientId,
      ...over,
    }),
    async signJwt(claims, o = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: clientId, iat: now, exp: now + (o.expiresIn ?? 300), ...claims })
        .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: 'test-key' })
        .sign(privateKey);
    },
    async opaqueToken(accountId) {
      const client = await provider.Client.find(clientId);
      // UserInfo answers only for a token whose grant still holds its scopes.
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid email');
      const grantId = await grant.save();
      const token = new provider.AccessToken({
        accountId,
        client: client!,
        grantId,
        gty: 'authorization_code',
        scope: 'openid email',
      });
      return token.save();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Follows the provider's pages as a browser would: redirects on the provider's origin, its login
 * form (as `login`) and its consent form, until it sends the browser back to Latchkey.
 * Returns the path and query Latchkey is sent to.
 */
export async function signInAtIdp(idp: Browser, authorizeUrl: string, login: string): Promise<string> {
  let url = authorizeUrl;
  for (let step = 0; step < 12; step++) {
    const res: Response = await idp.get(url);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.location!, url);
      if (!url.startsWith(next.origin)) return next.pathname + next.search;
      url = next.href;
      continue;
    }
    if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${res.body}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(res.body)?.[1];
    const form: Record<string, string> =
      prompt === 'login' ? { prompt, login, password: 'any' } : { prompt: prompt ?? 'consent' };
    const posted = await idp.post(new URL(url).pathname, form);
    if (posted.status < 300 || posted.status >= 400)
      throw new Error(`provider form answered ${posted.status}: ${posted.body}`);
    url = new URL(posted.location!, url).href;
    if (!url.startsWith(new URL(authorizeUrl).origin)) return new URL(url).pathname + new URL(url).search;
  }
  throw new Error('the provider never sent the browser back');
}
