import { once } from 'node:events';
import { AppError, audit } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import type { Actor } from '../../services/actor.js';
import type { AuditFilters } from '../../services/audit/audit-read.js';
import { register } from '../register.js';

/** The org the request acts in: `:org` was resolved (and the caller's standing checked) before. */
function orgOf(actor: Actor): string {
  if (!actor.org) throw new AppError('INTERNAL', 'No org context for an audit route');
  return actor.org.id;
}

function filtersOf(q: { since?: string; actor?: string; action?: string; target?: string }): AuditFilters {
  return {
    ...(q.since ? { since: new Date(q.since) } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.target ? { target: q.target } : {}),
  };
}

export const auditRoutes: RouteModule = (app, { services }) => {
  const log = services.audit;

  register(app, audit.list, async (req) =>
    log.list(req.actor, orgOf(req.actor), {
      ...filtersOf(req.query),
      limit: req.query.limit,
      ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
    }),
  );

  // Streamed with backpressure: a slow SIEM reader holds back the next batch instead of the
  // server buffering the whole log. Errors before the first byte are ordinary error answers.
  register(app, audit.export, async (req, reply) => {
    const events = await log.export(req.actor, orgOf(req.actor), filtersOf(req.query));
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': req.id,
    });
    try {
      for await (const e of events) {
        if (res.destroyed) return;
        if (!res.write(`${JSON.stringify(e)}\n`)) await once(res, 'drain');
      }
      res.end();
    } catch (err) {
      // Mid-stream there is no status left to send: cut the answer so the reader sees it
      // incomplete (no final newline-terminated end) rather than a clean, short export.
      req.log.error({ err }, 'audit export failed mid-stream');
      res.destroy();
    }
  });

  register(app, audit.verify, async (req) =>
    log.verify(
      req.actor,
      orgOf(req.actor),
      req.body?.checkpoint === undefined ? {} : { fromCheckpoint: req.body.checkpoint },
    ),
  );

  register(app, audit.checkpoint, async (req) => log.checkpoint(req.actor, orgOf(req.actor)));
};
