import {
  AuditCheckpoint,
  AuditEvent,
  AuditVerifyResult,
  ExportAuditQuery,
  ListAuditQuery,
  VerifyAuditBody,
} from '../audit.js';
import { OrgParams, page } from '../common.js';
import { endpoint } from '../endpoint.js';

const base = '/api/v1/orgs/:org/audit';

/**
 * The org's tamper-evident audit log: reading, exporting, verifying and checkpointing it. Each
 * of these is itself recorded in the log (`audit.listed`, `audit.exported`, …).
 */
export const audit = {
  list: endpoint({
    method: 'GET',
    path: base,
    summary: "The org's audit log, newest first",
    permission: 'audit:read',
    params: OrgParams,
    query: ListAuditQuery,
    response: { 200: page(AuditEvent) },
    errors: [],
  }),
  export: endpoint({
    method: 'GET',
    path: `${base}/export`,
    summary: "The org's audit log, oldest first, one JSON object a line (for a SIEM)",
    description: 'Streamed as application/x-ndjson; each line is an AuditEvent with its chain hashes.',
    permission: 'audit:read',
    params: OrgParams,
    query: ExportAuditQuery,
    response: {},
    stream: 'application/x-ndjson',
    errors: [],
  }),
  verify: endpoint({
    method: 'POST',
    path: `${base}/verify`,
    summary: "Walk the org's hash chain and name the first row that does not fit",
    description:
      'With a checkpoint kept earlier, also proves the chain still reaches the head it signed: rows cut off or rewritten since are named.',
    permission: 'audit:read',
    params: OrgParams,
    body: VerifyAuditBody,
    response: { 200: AuditVerifyResult },
    errors: [],
  }),
  checkpoint: endpoint({
    method: 'POST',
    path: `${base}/checkpoints`,
    summary: "Sign the chain's head now: a checkpoint to keep outside Latchkey",
    permission: 'audit:read',
    params: OrgParams,
    response: { 201: AuditCheckpoint },
    errors: [],
  }),
} as const;
