import { endpoints, type Me, maskToken, type Org } from '@latchkey/core';
import type { Config } from '../config.js';
import { dateTime } from '../format.js';
import type { Io } from '../io.js';

export type SignedIn = {
  me: Me;
  activeOrg: { id: string; name: string } | null;
  apiUrl: string;
  masked: string;
};

/**
 * Checks a fresh token against the server, then stores it with who it belongs to. The active org
 * survives a re-login when the user still belongs to it; otherwise it becomes the org the
 * credential is bound to, the personal org, or the first one.
 */
export async function storeSignIn(io: Io, apiUrl: string, token: string): Promise<SignedIn> {
  const api = io.apiFor(apiUrl, token);
  const me = await api.call(endpoints.me.get);
  const orgs: Org[] = me.user ? await api.all(endpoints.orgs.list) : [];
  const previous = io.config.data.activeOrg;
  const kept = previous && orgs.find((o) => o.id === previous.id);
  const pick = me.org ?? kept ?? orgs.find((o) => o.personal) ?? orgs[0];
  const activeOrg = pick ? { id: pick.id, name: pick.name } : null;
  const next: Config = {
    ...io.config.data,
    apiUrl,
    token,
    tokenId: me.token.id,
    tokenExpiresAt: me.token.expiresAt,
    user: me.user ? { id: me.user.id, email: me.user.email } : null,
    activeOrg,
  };
  io.config.replace(next);
  return { me, activeOrg, apiUrl, masked: maskToken(token) };
}

export function signedInLine(io: Io, s: SignedIn): string {
  const who = s.me.user?.email ?? s.me.token.name;
  const expires = s.me.token.expiresAt ? `expires ${dateTime(s.me.token.expiresAt)}` : 'does not expire';
  return `${io.err.green('✓')} Signed in as ${io.err.bold(who)} (token ${s.masked}, ${expires})`;
}
