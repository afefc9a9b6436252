import { manifests } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const manifestRoutes: RouteModule = (app, { services }) => {
  register(app, manifests.get, async (req) =>
    services.manifests.get(req.actor, req.params.project, req.params.env),
  );
  // The body is the manifest itself; the service validates it field by field (400 lists them all).
  register(app, manifests.push, async (req, reply) => {
    const pushed = await services.manifests.push(req.actor, req.params.project, req.params.env, req.body);
    return reply.code(pushed.changed ? 201 : 200).send(pushed);
  });
};
