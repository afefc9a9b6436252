import { platformKeys } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** Platform keys (`lk_key_…`): org-bound automation credentials capped by their creator. */
export const platformKeyRoutes: RouteModule = (app, { services }) => {
  register(app, platformKeys.list, async (req) => services.platformKeys.list(req.actor, req.query));
  // The token is in this response and nowhere else, ever.
  register(app, platformKeys.create, async (req) => services.platformKeys.create(req.actor, req.body));
  // Own keys need platform_keys:write; anyone's need platform_keys:manage (checked in the service).
  register(app, platformKeys.revoke, async (req) => services.platformKeys.revoke(req.actor, req.params.id));
  register(app, platformKeys.rotate, async (req) =>
    services.platformKeys.rotate(req.actor, req.params.id, req.body),
  );
};
