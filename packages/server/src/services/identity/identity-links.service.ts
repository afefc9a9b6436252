import { AppError, type IdentityLink, type PageQuery } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, requireUser } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { requireUnscopedUser } from '../delegation.js';
import * as linksRepo from './identity-links.repo.js';

function toLink(row: linksRepo.IdentityLinkRow): IdentityLink {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** A person's own SSO identity links: listed, and removed (the next SSO sign-in may link again). */
export function createIdentityLinksService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    async list(actor: Actor, query: PageQuery): Promise<Page<IdentityLink>> {
      const user = requireUser(actor);
      const rows = await linksRepo.listForUser(db, user.userId, query.limit, decodeCursor(query.cursor));
      return toPage(rows, query.limit, toLink, (r) => ({ at: r.createdAt, id: r.id }));
    },

    async remove(actor: Actor, id: string): Promise<IdentityLink> {
      // Changes how the account can be signed in to: a scoped token may not.
      const user = requireUnscopedUser(actor, 'remove a sign-in identity');
      return db.transaction(async (tx) => {
        const row = await linksRepo.deleteForUser(tx, user.userId, id);
        // Another person's link answers exactly like a missing one.
        if (!row) {
          throw new AppError('NOT_FOUND', `No linked identity ${id}.`, {
            hint: 'Run `latch auth identities` to see yours.',
          });
        }
        await recordAudit(tx, actor, {
          orgId: null,
          action: 'identity.unlinked',
          target: { type: 'identity_link', id: row.id },
          data: { issuer: row.issuer, subject: row.subject, at: clock.now().toISOString() },
        });
        return toLink(row);
      });
    },
  };
}
