import { identities } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** The caller's own SSO identity links (`latch auth identities`). */
export const identityRoutes: RouteModule = (app, { services }) => {
  register(app, identities.list, async (req) => services.identityLinks.list(req.actor, req.query));
  register(app, identities.remove, async (req) => services.identityLinks.remove(req.actor, req.params.id));
};
