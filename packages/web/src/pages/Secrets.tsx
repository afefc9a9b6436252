import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { holds, type PermissionSet } from '../held.js';
import { ConfirmButton, ErrorBox, MoreButton, Section, Table, useAction, usePaged, when } from '../ui.js';

type Where = { org: string; project: string; env: string };

export function Secrets({ org, project, env, held }: Where & { held: PermissionSet | null }) {
  // Names are listed with environments:read; values and history need secrets:read, changes
  // secrets:write. Only what would pass is offered (the API refuses the rest anyway).
  const canRead = holds(held, 'secrets', 'read');
  const canWrite = holds(held, 'secrets', 'write');
  const list = usePaged(
    (cursor) =>
      api.call(endpoints.secrets.list, { params: { org, project, env }, query: { limit: 100, cursor } }),
    [org, project, env],
  );
  const action = useAction();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [history, setHistory] = useState<string | null>(null);
  return (
    <Section title="Secrets">
      {canWrite ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              await api.call(endpoints.secrets.set, { params: { org, project, env, name }, body: { value } });
              setName('');
              setValue('');
              list.reload();
            });
          }}
        >
          <div className="fields">
            <label>
              Name
              <input value={name} onChange={(e) => setName(e.target.value)} required />
            </label>
            <label>
              Value
              <input
                type="password"
                autoComplete="off"
                value={value}
                onChange={(e) => setValue(e.target.value)}
                required
              />
            </label>
            <button type="submit" disabled={action.busy}>
              Set secret
            </button>
          </div>
        </form>
      ) : held ? (
        <p className="muted">
          Your role cannot set secrets here (needs secrets:write)
          {canRead ? '' : '; values and history need secrets:read'}.
        </p>
      ) : null}
      <ErrorBox error={action.error ?? list.error} />
      <Table columns={['Name', 'Value', 'Status', 'Updated', 'Actions']}>
        {list.items.map((s) => (
          <tr key={s.name}>
            <td>
              <code>{s.name}</code>
            </td>
            <td>
              <code data-testid={`secret-value-${s.name}`}>{revealed[s.name] ?? s.masked ?? '(hidden)'}</code>
            </td>
            <td>
              {s.status === 'live'
                ? 'live'
                : s.status === 'pending'
                  ? 'differs from the live release'
                  : 'unset, still in the live release'}
            </td>
            <td>
              {when(s.updatedAt)} {s.updatedBy ?? ''}
            </td>
            <td className="actions">
              {canRead && s.masked !== null && revealed[s.name] === undefined ? (
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Reveal ${s.name}`}
                  onClick={() =>
                    action.run(async () => {
                      const got = await api.call(endpoints.secrets.get, {
                        params: { org, project, env, name: s.name },
                      });
                      setRevealed((r) => ({ ...r, [s.name]: got.value }));
                    })
                  }
                >
                  Reveal
                </button>
              ) : null}
              {canRead ? (
                <button
                  type="button"
                  className="secondary"
                  aria-label={`History of ${s.name}`}
                  onClick={() => setHistory(history === s.name ? null : s.name)}
                >
                  History
                </button>
              ) : null}
              {s.status === 'pending_removal' || !canWrite ? null : (
                <ConfirmButton
                  label={`Unset ${s.name}`}
                  confirm={`Unset ${s.name} in ${env}? Its value leaves the app at the next deploy (the history keeps it).`}
                  onConfirm={() =>
                    action.run(async () => {
                      await api.call(endpoints.secrets.unset, {
                        params: { org, project, env, name: s.name },
                      });
                      list.reload();
                    })
                  }
                />
              )}
            </td>
          </tr>
        ))}
      </Table>
      <MoreButton hasMore={list.hasMore} more={list.more} />
      {history ? (
        <History
          where={{ org, project, env }}
          name={history}
          canWrite={canWrite}
          onRolledBack={() => {
            list.reload();
            setRevealed({});
          }}
        />
      ) : null}
    </Section>
  );
}

function History({
  where,
  name,
  canWrite,
  onRolledBack,
}: {
  where: Where;
  name: string;
  canWrite: boolean;
  onRolledBack: () => void;
}) {
  const history = usePaged(
    (cursor) =>
      api.call(endpoints.secrets.history, { params: { ...where, name }, query: { limit: 50, cursor } }),
    [where.org, where.project, where.env, name],
  );
  const action = useAction();
  const newest = history.items[0]?.version;
  return (
    <section className="panel" aria-label={`History of ${name}`}>
      <h3>History of {name}</h3>
      <ErrorBox error={history.error ?? action.error} />
      <ul className="plain">
        {history.items.map((v, i) => (
          <li key={v.version}>
            v{v.version} {v.action}
            {v.rolledBackTo ? ` to v${v.rolledBackTo}` : ''} {when(v.createdAt)} {v.createdBy ?? ''}
            {v.releases.length ? ` · in releases ${v.releases.map((r) => `v${r}`).join(', ')}` : ''}{' '}
            {canWrite && i > 0 && v.action !== 'unset' ? (
              <ConfirmButton
                label={`Roll back to v${v.version}`}
                confirm={`Roll back ${name} to v${v.version}? Its current value (v${newest}) is replaced by v${v.version}'s, as a new version; deploy to make it live.`}
                onConfirm={() =>
                  action.run(async () => {
                    await api.call(endpoints.secrets.rollback, {
                      params: { ...where, name },
                      body: { version: v.version },
                    });
                    history.reload();
                    onRolledBack();
                  })
                }
              />
            ) : null}
          </li>
        ))}
      </ul>
      <MoreButton hasMore={history.hasMore} more={history.more} />
    </section>
  );
}
