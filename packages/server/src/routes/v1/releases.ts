import { releases } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

/** Releases: `latch deploy` pins secret versions and the access manifest; rollbacks copy an old one. */
export const releaseRoutes: RouteModule = (app, { services }) => {
  // `:env` need not exist yet: the first deploy creates it.
  register(app, releases.deploy, async (req) =>
    services.releases.deploy(req.actor, req.params.project, req.params.env, req.body),
  );
  register(app, releases.list, async (req) =>
    services.releases.list(req.actor, req.params.project, req.query),
  );
  register(app, releases.rollback, async (req) =>
    services.releases.rollback(
      req.actor,
      req.params.project,
      req.params.env,
      req.params.release,
      req.body ?? {},
    ),
  );
  register(app, releases.preview, async (req) =>
    services.releases.preview(req.actor, req.params.project, req.params.env, req.body ?? {}),
  );
  register(app, releases.diff, async (req) =>
    services.releases.compare(req.actor, req.params.project, req.params.env, req.query),
  );
};
