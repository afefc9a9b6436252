import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { href } from '../router.js';
import { ErrorBox, MoreButton, Section, Table, useAction, useFilters, usePaged, when } from '../ui.js';

const LABELS = { actor: 'Actor', action: 'Action (or prefix, e.g. secret.*)', target: 'Target' };
type Verified = Awaited<ReturnType<typeof verifyChain>>;
const verifyChain = (org: string) => api.call(endpoints.audit.verify, { params: { org }, body: {} });

/** The org's audit log, newest first, with filters, and the hash chain's verification. */
export function AuditPage({ org }: { org: string }) {
  const { filters, given, form } = useFilters(LABELS);
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
        {form}
        <ErrorBox error={entries.error} />
        <Table columns={['#', 'When', 'Actor', 'Action', 'Target']}>
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
        </Table>
        <MoreButton hasMore={entries.hasMore} more={entries.more} />
      </Section>
    </>
  );
}
