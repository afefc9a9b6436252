import type { GroupSpec, LeafSpec } from '../registry.js';

const orgCommands: LeafSpec[] = [
  {
    name: 'list',
    summary: 'orgs you belong to, with your role (* = active)',
    load: () => import('../commands/org/list.js'),
  },
  { name: 'use', summary: 'make an org the active one', load: () => import('../commands/org/use.js') },
  { name: 'current', summary: 'print the active org', load: () => import('../commands/org/current.js') },
  {
    name: 'create',
    summary: 'create an org (you become its owner)',
    load: () => import('../commands/org/create.js'),
  },
  {
    name: 'members',
    summary: "the org's members and their roles, and pending invitations",
    load: () => import('../commands/team/members.js'),
  },
  {
    name: 'invite',
    summary: 'invite someone by email',
    load: () => import('../commands/team/invite.js'),
  },
  {
    name: 'invitations',
    summary: 'invitations the org sent that are not answered yet',
    load: () => import('../commands/team/invitations.js'),
    subcommands: [
      {
        name: 'revoke',
        summary: 'revoke an invitation: its link stops working',
        load: () => import('../commands/team/revoke-invitation.js'),
      },
    ],
  },
  {
    name: 'remove',
    summary: 'remove a member from the org',
    load: () => import('../commands/team/remove.js'),
  },
  {
    name: 'role',
    summary: "change a member's role",
    load: () => import('../commands/team/role.js'),
  },
  { name: 'leave', summary: 'leave the org', load: () => import('../commands/org/leave.js') },
  {
    name: 'delete',
    summary: 'delete an org and everything in it (owner only)',
    load: () => import('../commands/org/delete.js'),
  },
];

/** `org` and its alias group `team`, and the invitations addressed to you. */
export const ORG_GROUPS: GroupSpec[] = [
  {
    name: 'org',
    summary: 'orgs, members and invitations',
    commands: orgCommands,
  },
  {
    name: 'team',
    summary: 'the same as `latch org`',
    commands: orgCommands,
  },
  {
    name: 'invites',
    summary: 'invitations addressed to you',
    commands: [
      {
        name: 'list',
        summary: 'pending invitations for you',
        load: () => import('../commands/invites/list.js'),
      },
      {
        name: 'accept',
        summary: 'join the org that invited you',
        load: () => import('../commands/invites/accept.js'),
      },
      {
        name: 'decline',
        summary: 'decline an invitation',
        load: () => import('../commands/invites/decline.js'),
      },
    ],
  },
];
