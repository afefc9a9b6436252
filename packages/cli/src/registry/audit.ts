import type { GroupSpec } from '../registry.js';

export const AUDIT_GROUPS: GroupSpec[] = [
  {
    name: 'audit',
    summary: "the org's tamper-evident audit log: read, verify, export, checkpoint",
    commands: [
      {
        name: 'list',
        summary: 'audit events, newest first (filters: --since, --actor, --action, --target)',
        load: () => import('../commands/audit/list.js'),
      },
      {
        name: 'verify',
        summary: 'walk the hash chain and name the first bad row (--from-checkpoint FILE)',
        load: () => import('../commands/audit/verify.js'),
      },
      {
        name: 'export',
        summary: 'stream the log as NDJSON to stdout, for a SIEM (--since 30d)',
        load: () => import('../commands/audit/export.js'),
      },
      {
        name: 'checkpoint',
        summary: "sign the chain's head now; keep the file outside Latchkey (--out FILE)",
        load: () => import('../commands/audit/checkpoint.js'),
      },
    ],
  },
];
