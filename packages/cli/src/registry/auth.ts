import type { GroupSpec, LeafSpec } from '../registry.js';

export const login: LeafSpec = {
  name: 'login',
  summary: 'sign in (browser, or a code on headless machines)',
  options: [
    { flags: '--device', description: 'sign in with a code shown here and approved in any browser' },
    { flags: '--token <token>', description: 'store a token you already have (`-` reads it from stdin)' },
  ],
  load: () => import('../commands/auth/login.js'),
  help: '\nExamples:\n  latch login\n  latch login --device\n  latch login --api-url https://latch.example.com\n  printenv LK | latch login --token -',
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

export const identities: LeafSpec = {
  name: 'identities',
  summary: 'your single sign-on identities linked to this account',
  load: () => import('../commands/auth/identities.js'),
  subcommands: [
    {
      name: 'remove',
      summary: 'unlink an identity (a later SSO sign-in with a verified email links it again)',
      args: [{ syntax: '<id>', key: 'id', description: 'link id (see `latch auth identities`)' }],
      load: () => import('../commands/auth/identities-remove.js'),
    },
  ],
  help: '\nExamples:\n  latch auth identities\n  latch auth identities --json\n  latch auth identities remove idl_…',
};

export const AUTH_GROUPS: GroupSpec[] = [
  { name: 'auth', summary: 'sign-in state', commands: [login, logout, status, identities] },
];
