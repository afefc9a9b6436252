import type { GroupSpec, LeafSpec } from '../registry.js';

export const login: LeafSpec = {
  name: 'login',
  summary: 'sign in (browser, or a code on headless machines)',
  load: () => import('../commands/auth/login.js'),
};
export const logout: LeafSpec = {
  name: 'logout',
  summary: 'revoke the stored token and forget it (keeps the API URL and active org)',
  load: () => import('../commands/auth/logout.js'),
};
export const status: LeafSpec = {
  name: 'status',
  summary: 'who you are signed in as, with which token, against which server',
  load: () => import('../commands/auth/status.js'),
};

/** `latch whoami`: the same command as `latch auth status`. */
export const whoami: LeafSpec = { ...status, name: 'whoami', summary: 'the same as `latch auth status`' };

export const identities: LeafSpec = {
  name: 'identities',
  summary: 'your single sign-on identities linked to this account',
  load: () => import('../commands/auth/identities.js'),
  subcommands: [
    {
      name: 'remove',
      summary: 'unlink an identity (a later SSO sign-in with a verified email links it again)',
      load: () => import('../commands/auth/identities-remove.js'),
    },
  ],
};

export const AUTH_GROUPS: GroupSpec[] = [
  { name: 'auth', summary: 'sign-in state', commands: [login, logout, status, identities] },
];
