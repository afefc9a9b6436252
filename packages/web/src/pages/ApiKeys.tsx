import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { CredentialTable, isLive, RotateRevoke } from '../credential-columns.js';
import {
  ErrorBox,
  GraceSelect,
  MoreButton,
  Options,
  Section,
  useAction,
  usePaged,
  useShownOnce,
} from '../ui.js';

type Props = { org: string; project: string; env: string; scopes: string[] };
const STATUSES = ['active', 'expiring', 'rotating', 'expired', 'revoked'] as const;
type Status = (typeof STATUSES)[number];

export function ApiKeys({ org, project, env, scopes }: Props) {
  const [scopeFilter, setScopeFilter] = useState('');
  const [statusFilter, setStatusFilter] = useState<Status | ''>('');
  const keys = usePaged(
    (cursor) =>
      api.call(endpoints.apiKeys.list, {
        params: { org, project },
        query: {
          env,
          limit: 50,
          cursor,
          ...(scopeFilter ? { scope: scopeFilter } : {}),
          ...(statusFilter ? { status: statusFilter } : {}),
        },
      }),
    [org, project, env, scopeFilter, statusFilter],
  );
  const action = useAction();
  const [name, setName] = useState('');
  const [scope, setScope] = useState('');
  const [grace, setGrace] = useState('24h');
  const once = useShownOnce();
  const chosen = scope || scopes[0] || '';
  return (
    <Section title="API keys">
      {scopes.length === 0 ? (
        <p className="muted">
          This environment declares no scopes yet: push an access manifest to create keys.
        </p>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              const key = await api.call(endpoints.apiKeys.create, {
                params: { org, project },
                body: { name, scope: chosen, environment: env },
              });
              once.show({ token: key.token, what: `the key ${key.name}` });
              setName('');
              keys.reload();
            });
          }}
        >
          <div className="fields">
            <label>
              Key name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
            </label>
            <label>
              Scope
              <select value={chosen} onChange={(e) => setScope(e.target.value)}>
                <Options values={scopes} />
              </select>
            </label>
            <button type="submit" disabled={action.busy}>
              Create key
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={action.error} />
      {once.panel}
      <div className="fields">
        <label>
          Filter by scope
          <select value={scopeFilter} onChange={(e) => setScopeFilter(e.target.value)}>
            <option value="">all scopes</option>
            <Options values={scopes} />
          </select>
        </label>
        <label>
          Filter by status
          <select value={statusFilter} onChange={(e) => setStatusFilter(e.target.value as Status | '')}>
            <option value="">any status</option>
            <Options values={STATUSES} />
          </select>
        </label>
        <GraceSelect value={grace} onChange={setGrace} />
      </div>
      <ErrorBox error={keys.error} />
      <CredentialTable
        items={keys.items}
        columns={['Name', 'Prefix', ['Scope', (k) => k.scope], 'Status', 'Last used']}
        actions={(k) =>
          isLive(k) ? (
            <RotateRevoke
              named={k.name}
              grace={grace}
              revokeConfirm={`Revoke ${k.name} (${k.prefix})? Apps using it are refused at once.`}
              run={action.run}
              rotate={() =>
                api.call(endpoints.apiKeys.rotate, {
                  params: { org, project, id: k.id },
                  body: { gracePeriod: grace },
                })
              }
              revoke={() => api.call(endpoints.apiKeys.revoke, { params: { org, project, id: k.id } })}
              show={once.show}
              what={(key) => `the key ${key.name}`}
              onChange={keys.reload}
            />
          ) : null
        }
      />
      <MoreButton hasMore={keys.hasMore} more={keys.more} />
    </Section>
  );
}
