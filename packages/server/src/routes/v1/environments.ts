import { environments } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

export const environmentRoutes: RouteModule = (app, { services }) => {
  register(app, environments.list, async (req) =>
    services.environments.list(req.actor, req.params.project, req.query),
  );
  register(app, environments.create, async (req) =>
    services.environments.create(req.actor, req.params.project, req.body),
  );
  // Refused (409) while the environment has API keys, unless ?force=true.
  register(app, environments.delete, async (req) =>
    services.environments.delete(req.actor, req.params.project, req.params.env, {
      force: req.query.force === 'true',
    }),
  );
};
