import { z } from 'zod';
import { Id, PageCursor, StorableJsonObject, Text, Timestamp } from './common.js';
import { EnvironmentParams } from './projects.js';

export const DeployBody = z.strictObject({
  message: Text.trim().max(500).optional().describe('why: shown in `latch releases list`'),
  manifest: StorableJsonObject.optional().describe(
    'the access manifest (latch.config) to push with this release',
  ),
});

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
