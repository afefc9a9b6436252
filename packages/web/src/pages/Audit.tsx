import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { href } from '../router.js';
import { ErrorBox, MoreButton, Section, useAction, usePaged, when } from '../ui.js';

type Filters = { actor: string; action: string; target: string };
type Verified = Awaited<ReturnType<typeof verifyChain>>;
const verifyChain = (org: string) => api.call(endpoints.audit.verify, { params: { org }, body: {} });

/** The org's audit log, newest first, with filters, and the hash chain's verification. */
export function AuditPage({ org }: { org: string }) {
  const [draft, setDraft] = useState<Filters>({ actor: '', action: '', target: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const given = Object.fromEntries(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
  const entries = usePaged(
    (cursor) => api.call(endpoints.audit.list, { params: { org }, query: { limit: 50, cursor, ...given } }),
    [org, filters.actor, filters.action, filters.target],
  );
  const action = useAction();
  const [verified, setVerified] = useState<Verified | null>(null);
  return (
    <>
      <h1>Audit log of {org}</h1>
      <p>
        Every change, in a hash chain. Reads of secret values are in the{' '}
        <a href={href('orgs', org, 'access-log')}>access log</a>.
      </p>
      <Section title="Chain verification">
        <button
          type="button"
          onClick={() => action.run(async () => setVerified(await verifyChain(org)))}
          disabled={action.busy}
        >
          Verify the chain
        </button>
        <ErrorBox error={action.error} />
        {verified ? (
          <p role="status" className={verified.ok ? '' : 'bad'}>
            {verified.ok
              ? `Chain verified: ${verified.rows} rows, head #${verified.head.seq}.`
              : `Chain broken at row #${verified.firstBad?.seq ?? '?'} (${verified.firstBad?.reason}): ${verified.firstBad?.detail}`}
          </p>
        ) : null}
      </Section>
      <Section title="Entries">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
          }}
        >
          <div className="fields">
            {(['actor', 'action', 'target'] as const).map((field) => (
              <label key={field}>
                {field === 'action'
                  ? 'Action (or prefix, e.g. secret.*)'
                  : field === 'actor'
                    ? 'Actor'
                    : 'Target'}
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
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((e) => (
                <tr key={e.id}>
                  <td>{e.seq ?? ''}</td>
                  <td>{when(e.at)}</td>
                  <td>{e.actor.label ?? e.actor.type}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ? `${e.target.type ?? ''} ${e.target.id ?? ''}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <MoreButton hasMore={entries.hasMore} more={entries.more} />
      </Section>
    </>
  );
}
