import { pats } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const patRoutes: RouteModule = (app, { services }) => {
  register(app, pats.list, async (req) => services.tokens.listPats(req.actor, req.query));
  // The token is in this response and nowhere else, ever.
  register(app, pats.create, async (req) => services.tokens.createPat(req.actor, req.body));
  register(app, pats.revoke, async (req) => services.tokens.revokePat(req.actor, req.params.id));
  // Like create: the new token is in this response and nowhere else.
  register(app, pats.rotate, async (req) => services.tokens.rotatePat(req.actor, req.params.id));
};
