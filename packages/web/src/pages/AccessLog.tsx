import { api, endpoints } from '../api.js';
import { href } from '../router.js';
import { ErrorBox, MoreButton, Section, Table, useFilters, usePaged, when } from '../ui.js';

const LABELS = {
  name: 'Secret name',
  env: 'Environment',
  actor: 'Reader (email or key name)',
};

/** Who read which secret values (names only, never values), newest first; filters by name, env, reader. */
export function AccessLogPage({ org }: { org: string }) {
  const { filters, given, form } = useFilters(LABELS);
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
        {form}
        <ErrorBox error={entries.error} />
        <Table columns={['When', 'Reader', 'What', 'Where', 'Names']}>
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
        </Table>
        {!entries.loading && entries.items.length === 0 ? <p className="muted">No reads match.</p> : null}
        <MoreButton hasMore={entries.hasMore} more={entries.more} />
      </Section>
    </>
  );
}
