import { members } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const memberRoutes: RouteModule = (app, { services }) => {
  register(app, members.list, async (req) => services.members.list(req.actor, req.query));
  register(app, members.update, async (req) =>
    services.members.changeRole(req.actor, req.params.member, req.body.role),
  );
  // `:member` is a user id or an email address. Removing an admin or owner needs more (see service).
  register(app, members.remove, async (req) => services.members.remove(req.actor, req.params.member));
  // Leaving needs only membership: a developer or viewer lacks members:write but may still go.
  register(app, members.leave, async (req) => services.members.leave(req.actor));
};
