import type { Role } from '@latchkey/core';
import type { OptionDef } from './command.js';

/** Flags and literals shared by several commands' specs (`export const spec = defineCommand(…)`). */

export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const satisfies readonly Role[];

// Projects, environments and the access manifest. `--project` falls back to LATCH_PROJECT, then
// to the linked folder (lib/project.ts).
export const PROJECT_OPTION = {
  flags: '--project <project>',
  description: 'project name or id (default: LATCH_PROJECT, then the linked folder)',
} as const satisfies OptionDef;
export const CONFIG_OPTION = {
  flags: '--config <file>',
  description: 'the access manifest file (default: latch.config.ts/.js/.json here or above)',
} as const satisfies OptionDef;
export const MANIFEST_SOURCE_OPTIONS = {
  env: {
    flags: '--env <name>',
    description: 'environment whose pushed manifest to show (default: the only one)',
  },
  local: { flags: '--local', description: 'show the local config file instead of what was pushed' },
  config: CONFIG_OPTION,
  project: PROJECT_OPTION,
} as const satisfies Record<string, OptionDef>;

/** `--expires` of a new API, platform or service-account key (each checks it against EXPIRY_BOUNDS.key). */
export const KEY_EXPIRES_OPTION = {
  flags: '--expires <duration>',
  description:
    "lifetime: 90d, 12h, or a day count (default: none, or the creating key's or scoped token's own)",
} as const satisfies OptionDef;
