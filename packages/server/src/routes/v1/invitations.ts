import { invitations } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const invitationRoutes: RouteModule = (app, { services }) => {
  // The org's side: who is invited, inviting, revoking.
  register(app, invitations.listForOrg, async (req) => services.invitations.listForOrg(req.actor, req.query));
  register(app, invitations.create, async (req) => services.invitations.create(req.actor, req.body));
  register(app, invitations.revoke, async (req) => services.invitations.revoke(req.actor, req.params.id));

  // The invitee's side: invitations addressed to the caller's own email.
  register(app, invitations.mine, async (req) => services.invitations.listMine(req.actor, req.query));
  register(app, invitations.accept, async (req) => services.invitations.accept(req.actor, req.params.id));
  register(app, invitations.decline, async (req) => services.invitations.decline(req.actor, req.params.id));
};
