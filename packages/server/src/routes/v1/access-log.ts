import { accessLog } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** The access log: who read which secret names (never values), newest first; needs audit:read. */
export const accessLogRoutes: RouteModule = (app, { services }) => {
  register(app, accessLog.list, async (req) => services.accessLog.list(req.actor, req.query));
};
