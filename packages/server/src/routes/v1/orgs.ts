import { orgs } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const orgRoutes: RouteModule = (app, { services }) => {
  register(app, orgs.list, async (req) => services.orgs.listPage(req.actor, req.query));
  register(app, orgs.create, async (req) => services.orgs.create(req.actor, req.body));
  register(app, orgs.get, async (req) => services.orgs.get(req.actor));
  register(app, orgs.delete, async (req) => services.removal.deleteOrg(req.actor));
};
