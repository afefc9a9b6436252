import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { href } from '../router.js';
import { ErrorBox, MoreButton, Section, usePaged, when } from '../ui.js';

type Filters = { name: string; env: string; actor: string };
const LABELS: Record<keyof Filters, string> = {
  name: 'Secret name',
  env: 'Environment',
  actor: 'Reader (email or key name)',
};

/** Who read which secret values (names only, never values), newest first; filters by name, env, reader. */
export function AccessLogPage({ org }: { org: string }) {
  const [draft, setDraft] = useState<Filters>({ name: '', env: '', actor: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const given = Object.fromEntries(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
  const entries = usePaged(
    (cursor) =>
      api.call(endpoints.accessLog.list, { params: { org }, query: { limit: 50, cursor, ...given } }),
    [org, filters.name, filters.env, filters.actor],
  );
  return (
    <>
      <h1>Access log of {org}</h1>
      <p>
        Every read of secret values (reveal, history with values, released values for <code>latch run</code>,
        exports, SDK loads) and of the audit log: who, where and which names, never the values. Changes are in
        the <a href={href('orgs', org, 'audit')}>audit log</a>.
      </p>
      <Section title="Reads">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
          }}
        >
          <div className="fields">
            {(Object.keys(LABELS) as (keyof Filters)[]).map((field) => (
              <label key={field}>
                {LABELS[field]}
                <input
                  value={draft[field]}
                  onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
                />
              </label>
            ))}
            <button type="submit">Filter</button>
          </div>
        </form>
        <ErrorBox error={entries.error} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Reader</th>
                <th scope="col">What</th>
                <th scope="col">Where</th>
                <th scope="col">Names</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td>
                    {e.actor.label ?? e.actor.type}
                    {e.actor.ip ? <span className="muted"> from {e.actor.ip}</span> : null}
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{[e.project, e.environment].filter(Boolean).join(' / ')}</td>
                  <td>{e.names.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!entries.loading && entries.items.length === 0 ? <p className="muted">No reads match.</p> : null}
        <MoreButton hasMore={entries.hasMore} more={entries.more} />
      </Section>
    </>
  );
}
