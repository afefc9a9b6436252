import { z } from 'zod';
import { ENVIRONMENT_NAME_RE, PROJECT_NAME_RE, STANDARD_ENVIRONMENTS } from '../names.js';
import { Id, OrgParams, StorableJsonObject, Text, Timestamp } from './common.js';

const NAME_RULE = 'a lowercase letter, then up to 39 lowercase letters, digits or dashes';

export const ProjectName = Text.trim().regex(PROJECT_NAME_RE, `use ${NAME_RULE}, e.g. acme-api`);
export const EnvironmentName = Text.trim().regex(
  ENVIRONMENT_NAME_RE,
  `use ${NAME_RULE}, e.g. ${STANDARD_ENVIRONMENTS.join(', ')}`,
);

/** `:project` is a project id (`prj_…`) or its name; `:env` an environment name or id. */
export const ProjectParams = OrgParams.extend({ project: Text.trim().min(1).max(64) });
export const EnvironmentParams = ProjectParams.extend({ env: Text.trim().min(1).max(64) });

export const Project = z.object({
  id: Id,
  name: z.string(),
  keyPrefix: z.string().describe('app API keys of this project start with it, e.g. acme_'),
  environments: z.array(z.string()).describe('environment names, alphabetical'),
  createdAt: Timestamp,
});
export type Project = z.infer<typeof Project>;

export const CreateProjectBody = z.strictObject({
  name: ProjectName,
  keyPrefix: Text.trim()
    .max(40)
    .optional()
    .describe('e.g. acme_ (a missing final _ is added); default: derived from the name'),
});
export type CreateProjectBody = z.infer<typeof CreateProjectBody>;

/** What went with a deleted project: its environments, their secrets, releases and API keys. */
export const DeletedProject = Project.extend({
  deletedApiKeys: z.number().int().describe('API keys removed with it'),
});
export type DeletedProject = z.infer<typeof DeletedProject>;

export const ManifestSummary = z.object({ version: z.number().int(), pushedAt: Timestamp });

export const Environment = z.object({
  id: Id,
  projectId: Id.describe('the same as project.id'),
  project: z.object({ id: Id, name: z.string() }),
  name: z.string(),
  createdAt: Timestamp,
  manifest: ManifestSummary.nullable().describe('the access manifest in force, if one was pushed'),
});
export type Environment = z.infer<typeof Environment>;

export const CreateEnvironmentBody = z.strictObject({ name: EnvironmentName });

export const DeleteEnvironmentQuery = z.strictObject({
  force: z.enum(['true', 'false']).optional().describe('delete even when API keys exist'),
});

export const DeletedEnvironment = Environment.extend({
  deletedApiKeys: z.number().int().describe('API keys removed with it (only with force)'),
});
export type DeletedEnvironment = z.infer<typeof DeletedEnvironment>;

/**
 * The body of a manifest push is the manifest itself (SPEC section 6). Its rules live in
 * `validateManifest`, which reports every bad field at once; the route only requires an object.
 */
export const PushManifestBody = StorableJsonObject.describe('an access manifest (latch.config)');

export const ManifestVersion = z.object({
  environment: z.object({ id: Id, name: z.string() }),
  version: z.number().int(),
  pushedAt: Timestamp,
  pushedBy: z.string().nullable().describe('who pushed it: an email or a key name'),
  scopes: z.array(z.string()),
  routeCount: z.number().int(),
  manifest: z.record(z.string(), z.unknown()),
});
export type ManifestVersion = z.infer<typeof ManifestVersion>;

export const PushedManifest = ManifestVersion.extend({
  changed: z.boolean().describe('false when it was identical to the version in force: no new version'),
});
export type PushedManifest = z.infer<typeof PushedManifest>;
