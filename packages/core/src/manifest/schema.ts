import { z } from 'zod';
import { Text } from '../contract/common.js';
import { projectNameError } from '../names.js';
import {
  ACTION_RE,
  ENTITY_RE,
  HANDLER_RE,
  parseRouteKey,
  rateLimitError,
  routeAuthError,
  routePathError,
  SCOPE_NAME_RE,
} from './rules.js';
import { RouteVerifySchema } from './secret-ref.js';

/** Turns a rule returning an error string into a zod check with that exact message. */
function rule(check: (value: string) => string | null) {
  return z.string().superRefine((value, ctx) => {
    const error = check(value);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });
}

const ScopeName = rule((s) =>
  SCOPE_NAME_RE.test(s)
    ? null
    : `scope name "${s}" is not valid: start with a lowercase letter, then up to 63 of a-z 0-9 _ . : -`,
);
const Entity = rule((s) =>
  ENTITY_RE.test(s) ? null : `entity "${s}" is not valid: use a name like Project or invoice_line`,
);
const Action = rule((s) =>
  ACTION_RE.test(s) ? null : `action "${s}" is not valid: use lowercase words like read, write, export`,
);
const Handler = rule((s) =>
  HANDLER_RE.test(s) ? null : `handler "${s}" is not a valid name: use an identifier like listProjects`,
);
const Auth = rule(routeAuthError);
const RateLimitText = rule(rateLimitError);
const RouteKeyText = rule((s) => {
  const parsed = parseRouteKey(s);
  return 'error' in parsed ? parsed.error : null;
});
const Prefix = rule((s) => routePathError(s, { prefix: true }));

const Actions = z
  .array(Action)
  .min(1, 'list at least one action, e.g. ["read"]')
  .superRefine((actions, ctx) => {
    actions.forEach((a, i) => {
      if (actions.indexOf(a) !== i)
        ctx.addIssue({ code: 'custom', path: [i], message: `"${a}" is listed twice` });
    });
  });

export const ManifestScopeSchema = z.strictObject({
  grants: z.record(Entity, Actions).refine((g) => Object.keys(g).length > 0, {
    // An empty grant set would be "included" in every other scope's grants, so any key of the
    // project could call such routes: refuse it rather than open that by accident.
    message: 'a scope must grant something, e.g. { "Task": ["read"] }',
  }),
  description: Text.max(500).optional(),
});

export const ManifestRouteSchema = z.strictObject({
  handler: Handler,
  auth: Auth.optional(),
  rateLimit: RateLimitText.optional(),
  /** Only on `none` routes: the webhook signature the SDK checks before the handler runs. */
  verify: RouteVerifySchema.optional(),
});

export const ManifestRouteGroupSchema = z.strictObject({
  prefix: Prefix,
  auth: Auth,
  rateLimit: RateLimitText.optional(),
  routes: z.record(RouteKeyText, z.union([Handler, ManifestRouteSchema])),
});

export const ManifestSchema = z.strictObject({
  project: rule(projectNameError),
  apiKeys: z.strictObject({ scopes: z.record(ScopeName, ManifestScopeSchema) }).default({ scopes: {} }),
  routes: z.array(ManifestRouteGroupSchema).default([]),
});

export type ManifestScope = z.infer<typeof ManifestScopeSchema>;
export type ManifestRoute = z.infer<typeof ManifestRouteSchema>;
export type ManifestRouteGroup = z.infer<typeof ManifestRouteGroupSchema>;
/** A validated manifest (defaults applied: `apiKeys.scopes` and `routes` always present). */
export type Manifest = z.output<typeof ManifestSchema>;
/** What an author writes (`latch.config.ts`): `apiKeys` and `routes` may be left out. */
export type ManifestInput = z.input<typeof ManifestSchema>;

/** The fields each object of the manifest accepts, for "unknown field" messages. */
export const MANIFEST_FIELDS = {
  manifest: ['project', 'apiKeys', 'routes'],
  apiKeys: ['scopes'],
  scope: ['grants', 'description'],
  group: ['prefix', 'auth', 'rateLimit', 'routes'],
  route: ['handler', 'auth', 'rateLimit', 'verify'],
} as const;
