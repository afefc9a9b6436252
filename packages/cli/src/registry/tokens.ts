import type { GroupSpec } from '../registry.js';

/** Credentials: personal access tokens, platform keys, service accounts and their keys. */

export const TOKEN_GROUPS: GroupSpec[] = [
  {
    name: 'pats',
    summary: 'personal access tokens',
    commands: [
      {
        name: 'list',
        summary: 'your tokens (never the secrets)',
        load: () => import('../commands/pats/list.js'),
      },
      {
        name: 'create',
        summary: 'create a token; it is printed once',
        load: () => import('../commands/pats/create.js'),
      },
      { name: 'revoke', summary: 'revoke a token at once', load: () => import('../commands/pats/revoke.js') },
      {
        name: 'rotate',
        summary: 'give a token a new secret, printed once; the old one stops at once',
        load: () => import('../commands/pats/rotate.js'),
      },
    ],
  },
  {
    name: 'keys',
    summary: 'platform keys for CI and automation (lk_key_…)',
    commands: [
      {
        name: 'create',
        summary: 'create a key with scopes; it is printed once',
        load: () => import('../commands/keys/create.js'),
      },
      {
        name: 'list',
        summary: "the org's platform keys (never the secrets), with status",
        load: () => import('../commands/keys/list.js'),
      },
      { name: 'revoke', summary: 'revoke a key at once', load: () => import('../commands/keys/revoke.js') },
      {
        name: 'rotate',
        summary: 'give a key a new secret; the old one works for a grace period',
        load: () => import('../commands/keys/rotate.js'),
      },
    ],
  },
  {
    name: 'trust-policies',
    summary: 'let CI exchange its own OIDC token for a short-lived key (no long-lived CI secret)',
    commands: [
      {
        name: 'create',
        summary: 'trust tokens of an issuer whose claims match',
        load: () => import('../commands/trust-policies/create.js'),
      },
      {
        name: 'list',
        summary: "the org's trust policies",
        load: () => import('../commands/trust-policies/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete a policy and revoke what it issued',
        load: () => import('../commands/trust-policies/delete.js'),
      },
      {
        name: 'test',
        summary: 'show, claim by claim, which policy a token matches (issues nothing)',
        load: () => import('../commands/trust-policies/test.js'),
      },
    ],
  },
  {
    name: 'service-accounts',
    summary: 'service accounts: automation that acts with a role and outlives people',
    commands: [
      {
        name: 'create',
        summary: 'create a service account',
        load: () => import('../commands/service-accounts/create.js'),
      },
      {
        name: 'list',
        summary: "the org's service accounts",
        load: () => import('../commands/service-accounts/list.js'),
      },
      {
        name: 'delete',
        summary: 'delete a service account and revoke its keys',
        load: () => import('../commands/service-accounts/delete.js'),
      },
    ],
    groups: [
      {
        name: 'keys',
        summary: "a service account's keys (lk_sa_…)",
        commands: [
          {
            name: 'create',
            summary: 'create a key; it is printed once',
            load: () => import('../commands/service-accounts/keys/create.js'),
          },
          {
            name: 'list',
            summary: "the account's keys (never the secrets)",
            load: () => import('../commands/service-accounts/keys/list.js'),
          },
          {
            name: 'revoke',
            summary: 'revoke a key at once',
            load: () => import('../commands/service-accounts/keys/revoke.js'),
          },
          {
            name: 'rotate',
            summary: 'give a key a new secret; the old one works for a grace period',
            load: () => import('../commands/service-accounts/keys/rotate.js'),
          },
        ],
      },
    ],
  },
];
