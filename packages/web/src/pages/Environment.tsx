import { useState } from 'react';
import { flattenRoutes } from '../../../core/src/manifest/routes.js';
import type { Manifest } from '../../../core/src/manifest/schema.js';
import { api, endpoints } from '../api.js';
import { holds, type PermissionSet } from '../held.js';
import { href } from '../router.js';
import { ConfirmButton, ErrorBox, MoreButton, Section, Table, useAction, useLoad, usePaged } from '../ui.js';
import { ApiKeys } from './ApiKeys.js';
import { ReleaseDiff } from './ReleaseDiff.js';
import { Secrets } from './Secrets.js';

type Where = { org: string; project: string; env: string };

export function EnvironmentPage({ held, ...where }: Where & { held: PermissionSet | null }) {
  const manifest = useLoad(
    () => api.attempt(endpoints.manifests.get, { params: where }),
    [where.org, where.project, where.env],
  );
  const scopes = manifest.data?.ok ? manifest.data.data.scopes : [];
  // A release rollback sets the working secrets back too: the secrets list loads again.
  const [rolledBack, setRolledBack] = useState(0);
  return (
    <>
      <h1>
        {where.project} / {where.env}{' '}
        <a className="small" href={href('orgs', where.org, 'projects')}>
          (all projects)
        </a>
      </h1>
      <p>
        <a href={href('orgs', where.org, 'projects', where.project, 'env', where.env, 'logs')}>Logs</a>: this
        environment's verifications, denials, audit events, releases and deliveries, live.
      </p>
      <ApiKeys {...where} scopes={scopes} />
      <Secrets key={rolledBack} {...where} held={held} />
      <Releases
        {...where}
        canRollBack={holds(held, 'deploy', 'manage')}
        onRolledBack={() => setRolledBack((n) => n + 1)}
      />
      <Section title="Declared scopes and routes">
        <ErrorBox error={manifest.error} />
        {manifest.data && !manifest.data.ok ? (
          manifest.data.error.code === 'NOT_FOUND' ? (
            <p className="muted">
              No access manifest was pushed to {where.env} yet (`latch deploy` pushes one).
            </p>
          ) : (
            <ErrorBox error={manifest.data.error} />
          )
        ) : null}
        {manifest.data?.ok ? <RouteTable manifest={manifest.data.data.manifest} scopes={scopes} /> : null}
      </Section>
    </>
  );
}

function RouteTable({ manifest, scopes }: { manifest: Record<string, unknown>; scopes: string[] }) {
  let routes: ReturnType<typeof flattenRoutes> = [];
  try {
    routes = flattenRoutes(manifest as Manifest);
  } catch {
    routes = [];
  }
  return (
    <>
      <p>
        Scopes:{' '}
        {scopes.length ? (
          scopes.map((s) => (
            <code key={s} className="tag">
              {s}
            </code>
          ))
        ) : (
          <em>none</em>
        )}
      </p>
      <Table columns={['Method', 'Path', 'Auth', 'Handler']}>
        {routes.map((r) => (
          <tr key={`${r.method} ${r.path}`}>
            <td>{r.method}</td>
            <td>
              <code>{r.path}</code>
            </td>
            <td>{r.auth}</td>
            <td>{r.handler}</td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function Releases({
  onRolledBack,
  canRollBack,
  ...where
}: Where & { onRolledBack: () => void; canRollBack: boolean }) {
  const { org, project, env } = where;
  const releases = usePaged(
    (cursor) =>
      api.call(endpoints.releases.list, { params: { org, project }, query: { env, limit: 20, cursor } }),
    [org, project, env],
  );
  const action = useAction();
  const live = releases.items.find((r) => r.current)?.number;
  return (
    <Section title="Releases">
      <ErrorBox error={releases.error ?? action.error} />
      {!releases.loading && releases.items.length === 0 ? (
        <p className="muted">No release yet: `latch deploy` makes the first.</p>
      ) : null}
      <ul className="plain">
        {releases.items.map((r) => (
          <li key={r.id}>
            v{r.number} {r.current ? <strong>(current)</strong> : null} · {r.variables} secrets ·{' '}
            {r.message ?? ''} · {r.createdBy ?? ''} · {new Date(r.createdAt).toLocaleString()}{' '}
            {r.current || !canRollBack ? null : (
              <ConfirmButton
                label={`Roll back to v${r.number}`}
                confirm={`Roll back ${env} to v${r.number}? A new release with v${r.number}'s secrets and manifest replaces v${live ?? '?'} at once, and the working secrets are set back to it.`}
                onConfirm={() =>
                  action.run(async () => {
                    await api.call(endpoints.releases.rollback, {
                      params: { ...where, release: String(r.number) },
                      body: {},
                    });
                    releases.reload();
                    onRolledBack();
                  })
                }
              />
            )}
          </li>
        ))}
      </ul>
      <MoreButton hasMore={releases.hasMore} more={releases.more} />
      <ReleaseDiff org={org} project={project} env={env} numbers={releases.items.map((r) => r.number)} />
    </Section>
  );
}
