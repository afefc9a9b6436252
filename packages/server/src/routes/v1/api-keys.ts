import { apiKeys } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { register } from '../register.js';

// The answer is built by the service from a fixed shape, so re-validating it on the hottest route
// buys nothing; the schema still documents it in OpenAPI. The verifier hands out the same frozen
// answer until something changes, so its JSON is made once per answer, not once per request.
const serialized = new WeakMap<object, string>();
const fastJson = () => (data: object) => {
  let json = serialized.get(data);
  if (json === undefined) {
    json = JSON.stringify(data);
    if (Object.isFrozen(data)) serialized.set(data, json);
  }
  return json;
};

export const apiKeyRoutes: RouteModule = (app, { services }) => {
  const keys = services.apiKeys;

  register(app, apiKeys.list, async (req) => keys.list(req.actor, req.params.project, req.query));
  // The token is in this response and nowhere else, ever.
  register(app, apiKeys.create, async (req) => keys.create(req.actor, req.params.project, req.body));
  register(app, apiKeys.rotate, async (req) =>
    keys.rotate(req.actor, req.params.project, req.params.id, req.body ?? {}),
  );
  register(app, apiKeys.revoke, async (req) => keys.revoke(req.actor, req.params.project, req.params.id));
  register(
    app,
    apiKeys.verifyInProject,
    async (req) => keys.verifyInProject(req.actor, req.params.project, req.body),
    {
      serializerCompiler: fastJson,
    },
  );

  // Resource routes need `:org`; this one takes the org from the key itself and checks the
  // caller's api_keys:read there (in the service), so it is a `self` route.
  register(
    app,
    apiKeys.verify,
    // Not async: a cached answer is sent without a promise in between.
    (req) => keys.verify(req.actor, req.body),
    { authenticate: keys.authenticateCaller, serializerCompiler: fastJson },
  );
};
