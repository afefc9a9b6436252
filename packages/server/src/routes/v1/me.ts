import { Me } from '@latchkey/core';
import type { RouteModule } from '../../app.js';

export const meRoutes: RouteModule = (app, { services }) => {
  app.get('/api/v1/me', { config: { permission: 'self' }, schema: { response: { 200: Me } } }, async (req) =>
    services.identity.me(req.actor),
  );
};
