import { projects } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const projectRoutes: RouteModule = (app, { services }) => {
  register(app, projects.list, async (req) => services.projects.list(req.actor, req.query));
  register(app, projects.create, async (req) => services.projects.create(req.actor, req.body));
  // `:project` is an id or a name (any case).
  register(app, projects.get, async (req) => services.projects.get(req.actor, req.params.project));
  register(app, projects.delete, async (req) =>
    services.removal.deleteProject(req.actor, req.params.project),
  );
};
