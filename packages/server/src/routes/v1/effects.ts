import { effects } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** Background deliveries: app-enqueued effects, their state, retry, cancel and replay. */
export const effectRoutes: RouteModule = (app, { services }) => {
  const fx = services.effects;
  register(app, effects.enqueue, async (req) => fx.enqueue(req.actor, req.params.project, req.body));
  register(app, effects.status, async (req) => fx.status(req.actor, req.query));
  register(app, effects.list, async (req) => fx.list(req.actor, req.query));
  register(app, effects.replay, async (req) => fx.replay(req.actor, req.body));
  register(app, effects.purge, async (req) => fx.purge(req.actor, req.body));
  register(app, effects.show, async (req) => fx.show(req.actor, req.params.id));
  register(app, effects.retry, async (req) => fx.retry(req.actor, req.params.id));
  register(app, effects.cancel, async (req) => fx.cancel(req.actor, req.params.id));
};
