import { z } from 'zod';
import { Id, PageCursor, StorableJsonObject, Text, Timestamp } from './common.js';
import { EnvironmentParams } from './projects.js';

export const DeployBody = z.strictObject({
  message: Text.trim().max(500).optional().describe('why: shown in `latch releases list`'),
  manifest: StorableJsonObject.optional().describe(
    'the access manifest (latch.config) to push with this release',
  ),
  allowEmpty: z
    .boolean()
    .optional()
    .describe('false: refuse (CONFLICT) when nothing differs from the live release; omitted means true'),
});

export const PreviewBody = z.strictObject({
  manifest: StorableJsonObject.optional().describe('the access manifest the deploy would push'),
});

export const RollbackBody = z.strictObject({
  releaseOnly: z
    .boolean()
    .optional()
    .describe(
      'true: only make the release; the working set keeps its newer values, so the next deploy undoes the rollback',
    ),
});

const RouteSummary = z.object({
  method: z.string(),
  path: z.string(),
  handler: z.string(),
  auth: z.string(),
  rateLimit: z.string().nullable(),
});

/** Names, versions, scopes and routes only: a diff never carries a secret value. */
export const ReleaseDiff = z.object({
  secrets: z.object({
    added: z.array(z.object({ name: z.string(), version: z.number().int() })),
    changed: z.array(
      z.object({
        name: z.string(),
        from: z.number().int(),
        to: z.number().int(),
        /** Referenced secrets (`environment.NAME`) whose version changed: a value changed through them. */
        via: z.array(z.string()).optional(),
      }),
    ),
    removed: z.array(z.object({ name: z.string(), version: z.number().int() })),
  }),
  scopes: z.object({
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
  routes: z.object({
    added: z.array(RouteSummary),
    removed: z.array(RouteSummary),
    changed: z.array(
      z.object({
        method: z.string(),
        path: z.string(),
        changes: z.array(
          z.object({ field: z.string(), from: z.string().nullable(), to: z.string().nullable() }),
        ),
      }),
    ),
  }),
  empty: z.boolean().describe('nothing differs: a deploy would make an identical release'),
});
export type ReleaseDiff = z.infer<typeof ReleaseDiff>;

const LiveRef = z.object({
  number: z.number().int(),
  rollbackOf: z.number().int().nullable(),
  createdAt: Timestamp,
});

export const DeployPreview = z.object({
  environment: z.object({ name: z.string(), exists: z.boolean() }),
  live: LiveRef.nullable().describe('the release in force, which the diff compares against'),
  next: z.number().int().describe('the number the deploy would get'),
  diff: ReleaseDiff,
  undoesRollback: z
    .number()
    .int()
    .nullable()
    .describe('the live release is a rollback to this release, and deploying would change it back'),
  undoing: z
    .array(z.string())
    .describe('the secrets whose rolled-back value the deploy would bring back (set before the rollback)'),
  refusals: z
    .array(z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }))
    .describe(
      'why the deploy would be refused, as it would say it (a manifest secret the environment lacks, a bad reference); names only',
    ),
});
export type DeployPreview = z.infer<typeof DeployPreview>;

export const ReleaseDiffQuery = z.strictObject({
  from: Text.trim().min(1).max(20).describe('v3 or 3'),
  to: Text.trim().min(1).max(20).describe('v5 or 5'),
});

export const ReleaseComparison = z.object({
  environment: z.object({ id: Id, name: z.string() }),
  from: z.number().int(),
  to: z.number().int(),
  diff: ReleaseDiff,
});
export type ReleaseComparison = z.infer<typeof ReleaseComparison>;

export const Release = z.object({
  id: Id,
  environment: z.object({ id: Id, name: z.string() }),
  number: z.number().int().describe('v1, v2, … per environment'),
  message: z.string().nullable(),
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
  variables: z.number().int().describe('how many secrets it pins'),
  manifestVersion: z.number().int().nullable().describe('the access manifest version it pins'),
  rollbackOf: z.number().int().nullable().describe('for a rollback: the release whose contents it copied'),
  current: z.boolean().describe('the newest release of its environment: what runs'),
});
export type Release = z.infer<typeof Release>;

export const Deployed = Release.extend({
  environmentCreated: z.boolean().describe('this first deploy created the environment'),
  changes: z.object({
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
  }),
  manifestChanged: z.boolean().describe('a new access manifest version was pushed with it'),
  diff: ReleaseDiff.describe('against the release that was live before it'),
  restored: z
    .array(z.string())
    .describe('for a rollback: the secrets whose working value was set back to the old release'),
});
export type Deployed = z.infer<typeof Deployed>;

export const ReleaseParams = EnvironmentParams.extend({
  release: Text.trim().min(1).max(20).describe('v3 or 3'),
});

export const ReleaseListQuery = z.strictObject({
  env: Text.trim().min(1).max(64).optional().describe('only this environment'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});
