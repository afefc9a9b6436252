import type { Role } from '@latchkey/core';
import type { OptionSpec } from '../registry.js';

/**
 * Options and literals shared by several command groups. Data only, and kept out of registry.ts so
 * the group files never import registry.ts at run time (only its types).
 */

// A literal, not core's ROLES: importing core here would put it on the start-up path.
export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const satisfies readonly Role[];

// Projects, environments and the access manifest. `--project` falls back to LATCH_PROJECT, then
// to the linked folder (lib/project.ts).
export const PROJECT_OPTION: OptionSpec = {
  flags: '--project <project>',
  description: 'project name or id (default: LATCH_PROJECT, then the linked folder)',
};
export const CONFIG_OPTION: OptionSpec = {
  flags: '--config <file>',
  description: 'the access manifest file (default: latch.config.ts/.js/.json here or above)',
};
export const MANIFEST_SOURCE_OPTIONS: OptionSpec[] = [
  { flags: '--env <name>', description: 'environment whose pushed manifest to show (default: the only one)' },
  { flags: '--local', description: 'show the local config file instead of what was pushed' },
  CONFIG_OPTION,
  PROJECT_OPTION,
];
