import { webhooks } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { toEffect } from '../../services/effects/effects.service.js';
import { register } from '../register.js';

/** Outbound webhook endpoints. The signing secret is in the create and rotate-secret answers only. */
export const webhookRoutes: RouteModule = (app, { services }) => {
  const hooks = services.webhooks;
  register(app, webhooks.list, async (req) => hooks.list(req.actor, req.query));
  register(app, webhooks.create, async (req) => hooks.create(req.actor, req.body));
  register(app, webhooks.update, async (req) => hooks.update(req.actor, req.params.id, req.body));
  register(app, webhooks.delete, async (req) => hooks.delete(req.actor, req.params.id));
  register(app, webhooks.test, async (req) => ({
    ...toEffect(await hooks.test(req.actor, req.params.id)),
    duplicate: false,
  }));
  register(app, webhooks.rotateSecret, async (req) => hooks.rotateSecret(req.actor, req.params.id));
};
