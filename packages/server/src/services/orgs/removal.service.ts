import { AppError, type DeletedOrg, type DeletedProject } from '@latchkey/core';
import { count, eq } from 'drizzle-orm';
import type { Db } from '../../store/db.js';
import { memberships, orgs, projects as projectsTable } from '../../store/schema.js';
import { type Actor, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { lockOrg } from '../members/members.repo.js';
import type { EnvironmentsService } from '../projects/environments.service.js';
import * as projectsRepo from '../projects/projects.repo.js';
import { toProject } from '../projects/projects.service.js';
import { toOrg } from './orgs.service.js';

export type RemovalService = ReturnType<typeof createRemovalService>;

/**
 * Deleting a project or a whole org. Both are final and go by ON DELETE CASCADE (environments,
 * secrets and their versions, releases, manifests, API keys; for an org also memberships,
 * invitations, platform and service-account keys, service accounts). What PostgreSQL cannot do
 * alone runs as for one environment deletion: the environments' deleting hooks in the transaction,
 * their deleted hooks (dropping environment databases) after it committed. API keys leave the
 * verification caches through the api_keys delete triggers (migration 0004). Audit entries are
 * kept (they carry no foreign key): the org's chain stays verifiable, ending with the deletion.
 */
export function createRemovalService({ db, environments }: { db: Db; environments: EnvironmentsService }) {
  return {
    async deleteProject(actor: Actor, ref: string): Promise<DeletedProject> {
      const org = requirePermission(actor, 'projects:manage');
      const { result, envs } = await db.transaction(async (tx) => {
        const row = await projectsRepo.findForUpdate(tx, org.id, ref.trim());
        // Another org's project answers exactly like one that does not exist.
        if (!row) {
          throw new AppError('NOT_FOUND', `No project ${ref} in ${org.name}.`, {
            hint: 'Run `latch projects list` to see the projects.',
          });
        }
        const cascade = await environments.cascadeWithin(tx, { orgId: org.id, projectId: row.id });
        const names = cascade.environments.map((e) => e.name).sort();
        await projectsRepo.remove(tx, row.id);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'project.deleted',
          target: { type: 'project', id: row.id },
          data: { name: row.name, keyPrefix: row.keyPrefix, environments: names, apiKeys: cascade.apiKeys },
        });
        return {
          result: { ...toProject(row, names), deletedApiKeys: cascade.apiKeys },
          envs: cascade.environments,
        };
      });
      await environments.afterCascade(envs);
      return result;
    },

    /** Owner only (org:manage). A personal org belongs to its person and goes only with them. */
    async deleteOrg(actor: Actor): Promise<DeletedOrg> {
      const requestOrg = requirePermission(actor, 'org:manage');
      const { result, envs } = await db.transaction(async (tx) => {
        const row = await lockOrg(tx, requestOrg.id);
        if (!row) {
          throw new AppError('NOT_FOUND', `No org ${requestOrg.name}.`, { hint: 'Run `latch org list`.' });
        }
        if (row.personalFor !== null) {
          throw new AppError('CONFLICT', `${row.name} is your personal org; it cannot be deleted.`, {
            hint: 'Delete its projects instead (`latch projects delete <name>`), or leave an org that is not yours.',
          });
        }
        const [projectCount] = await tx
          .select({ n: count() })
          .from(projectsTable)
          .where(eq(projectsTable.orgId, row.id));
        const [memberCount] = await tx
          .select({ n: count() })
          .from(memberships)
          .where(eq(memberships.orgId, row.id));
        const cascade = await environments.cascadeWithin(tx, { orgId: row.id });
        const deleted = {
          projects: projectCount?.n ?? 0,
          environments: cascade.environments.length,
          members: memberCount?.n ?? 0,
        };
        // Written before the row goes, in the same transaction: the chain's last entry says why.
        await recordAudit(tx, actor, {
          orgId: row.id,
          action: 'org.deleted',
          target: { type: 'org', id: row.id },
          data: { name: row.name, ...deleted, apiKeys: cascade.apiKeys },
        });
        await tx.delete(orgs).where(eq(orgs.id, row.id));
        return { result: { ...toOrg(row, requestOrg.role), deleted }, envs: cascade.environments };
      });
      await environments.afterCascade(envs);
      return result;
    },
  };
}
