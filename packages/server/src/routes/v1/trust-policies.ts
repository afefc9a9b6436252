import { trustPolicies } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** Trust policies: CI OIDC tokens that exchange (at /oauth/token) for short-lived platform keys. */
export const trustPolicyRoutes: RouteModule = (app, { services }) => {
  register(app, trustPolicies.list, async (req) => services.trustPolicies.list(req.actor, req.query));
  register(app, trustPolicies.create, async (req) => services.trustPolicies.create(req.actor, req.body));
  register(app, trustPolicies.test, async (req) => services.trustPolicies.test(req.actor, req.body));
  // Own policies need platform_keys:write; anyone's need platform_keys:manage (checked in the service).
  register(app, trustPolicies.delete, async (req) => services.trustPolicies.delete(req.actor, req.params.id));
};
