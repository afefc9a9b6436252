import { me } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const meRoutes: RouteModule = (app, { services }) => {
  register(app, me.get, async (req) => services.identity.me(req.actor));
};
