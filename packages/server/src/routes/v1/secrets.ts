import { secrets } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/**
 * An environment's secrets. Values travel only in request bodies and in the responses of reads
 * that need secrets:read (each audited); never in URLs, so they stay out of access logs.
 */
export const secretRoutes: RouteModule = (app, { services }) => {
  const { secretsRead, secrets: write } = services;

  // Names for anyone who may see the environment; versions, authors and masks need secrets:read.
  register(app, secrets.list, async (req) =>
    secretsRead.list(req.actor, req.params.project, req.params.env, req.query),
  );
  // The values `latch run`, `latch secrets export` and loadSecrets() use: the current release's.
  register(app, secrets.released, async (req) =>
    services.releases.released(req.actor, req.params.project, req.params.env, {
      latest: req.query.latest === 'true',
    }),
  );
  register(app, secrets.import, async (req) =>
    write.import(req.actor, req.params.project, req.params.env, req.body),
  );
  register(app, secrets.compare, async (req) =>
    services.secretsCompare.compare(req.actor, req.params.project, req.query),
  );
  register(app, secrets.promote, async (req) =>
    services.secretsCompare.promote(req.actor, req.params.project, req.params.env, req.body),
  );
  register(app, secrets.get, async (req) =>
    secretsRead.get(req.actor, req.params.project, req.params.env, req.params.name, req.query),
  );
  register(app, secrets.set, async (req) =>
    write.set(req.actor, req.params.project, req.params.env, req.params.name, req.body.value),
  );
  register(app, secrets.unset, async (req) =>
    write.unset(req.actor, req.params.project, req.params.env, req.params.name),
  );
  register(app, secrets.history, async (req) =>
    secretsRead.history(req.actor, req.params.project, req.params.env, req.params.name, {
      ...req.query,
      reveal: req.query.reveal === 'true',
    }),
  );
  register(app, secrets.rollback, async (req) =>
    write.rollback(req.actor, req.params.project, req.params.env, req.params.name, req.body.version),
  );
};
