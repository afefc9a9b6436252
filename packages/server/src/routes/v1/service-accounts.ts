import { serviceAccounts } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** Service accounts act with their role and outlive people; `:id` is an account id or name. */
export const serviceAccountRoutes: RouteModule = (app, { services }) => {
  const accounts = services.serviceAccounts;
  register(app, serviceAccounts.list, async (req) => accounts.list(req.actor, req.query));
  register(app, serviceAccounts.create, async (req) => accounts.create(req.actor, req.body));
  register(app, serviceAccounts.delete, async (req) => accounts.delete(req.actor, req.params.id));
  register(app, serviceAccounts.listKeys, async (req) =>
    accounts.listKeys(req.actor, req.params.id, req.query),
  );
  // The token is in this response and nowhere else, ever.
  register(app, serviceAccounts.createKey, async (req) =>
    accounts.createKey(req.actor, req.params.id, req.body),
  );
  register(app, serviceAccounts.revokeKey, async (req) =>
    accounts.revokeKey(req.actor, req.params.id, req.params.keyId),
  );
  register(app, serviceAccounts.rotateKey, async (req) =>
    accounts.rotateKey(req.actor, req.params.id, req.params.keyId, req.body),
  );
};
