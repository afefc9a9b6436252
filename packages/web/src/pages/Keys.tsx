import { useId, useState } from 'react';
import { api, endpoints } from '../api.js';
import { CredentialTable, isLive, RotateRevoke } from '../credential-columns.js';
import {
  grantableLevels,
  grantableRoles,
  holds,
  type Level,
  type PermissionSet,
  type Resource,
} from '../held.js';
import {
  ConfirmButton,
  ErrorBox,
  GraceSelect,
  MoreButton,
  Options,
  Section,
  Table,
  useAction,
  usePaged,
  useShownOnce,
} from '../ui.js';

const SA_ROLES = ['admin', 'developer', 'viewer'] as const;
type SaRole = (typeof SA_ROLES)[number];

/** Platform keys (`lk_key_…`) and service accounts with their keys (`lk_sa_…`) of one org. */
export function KeysPage({ org, held }: { org: string; held: PermissionSet | null }) {
  return (
    <>
      <h1>Platform keys and service accounts of {org}</h1>
      <PlatformKeys org={org} held={held} />
      <ServiceAccounts org={org} held={held} />
    </>
  );
}

function ExpirySelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Expires in
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="30d">30 days</option>
        <option value="90d">90 days</option>
        <option value="365d">1 year</option>
        <option value="">never</option>
      </select>
    </label>
  );
}

/** Scopes as one level per resource, offering only the resources and levels the signed-in user holds. */
function ScopePicker({
  held,
  value,
  onChange,
}: {
  held: PermissionSet;
  value: Partial<Record<Resource, Level>>;
  onChange: (v: Partial<Record<Resource, Level>>) => void;
}) {
  const id = useId();
  return (
    <fieldset className="scopes">
      <legend>Scopes (only what you hold is offered)</legend>
      <div className="fields">
        {grantableLevels(held).map(({ resource, levels }) => (
          // A label beside the select, not around it: the select's name is the resource alone.
          <div className="field" key={resource}>
            <label htmlFor={`${id}-${resource}`}>{resource}</label>
            <select
              id={`${id}-${resource}`}
              value={value[resource] ?? 'none'}
              onChange={(e) => onChange({ ...value, [resource]: e.target.value as Level })}
            >
              <option value="none">none</option>
              <Options values={levels} />
            </select>
          </div>
        ))}
      </div>
    </fieldset>
  );
}

function PlatformKeys({ org, held }: { org: string; held: PermissionSet | null }) {
  const keys = usePaged(
    (cursor) => api.call(endpoints.platformKeys.list, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const action = useAction();
  const once = useShownOnce();
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('90d');
  const [picked, setPicked] = useState<Partial<Record<Resource, Level>>>({});
  const [grace, setGrace] = useState('24h');
  const scopes = Object.entries(picked)
    .filter(([, level]) => level && level !== 'none')
    .map(([resource, level]) => `${resource}:${level}`);
  return (
    <Section title="Platform keys">
      <p className="muted">
        Org-bound keys for automation (<code>lk_key_…</code>). A key never holds more than its creator: it is
        suspended if its creator loses a permission it carries.
      </p>
      {held && holds(held, 'platform_keys', 'write') ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              const key = await api.call(endpoints.platformKeys.create, {
                params: { org },
                body: { name, scopes, ...(expiresIn ? { expiresIn } : {}) },
              });
              once.show({ token: key.token, what: `the platform key ${key.name}` });
              setName('');
              setPicked({});
              keys.reload();
            });
          }}
        >
          <div className="fields">
            <label>
              Platform key name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
            </label>
            <ExpirySelect value={expiresIn} onChange={setExpiresIn} />
          </div>
          <ScopePicker held={held} value={picked} onChange={setPicked} />
          <button type="submit" disabled={action.busy || scopes.length === 0}>
            Create platform key
          </button>
          {scopes.length === 0 ? <span className="muted"> Pick at least one scope.</span> : null}
        </form>
      ) : held ? (
        <p className="muted">Your role cannot create platform keys here (needs platform_keys:write).</p>
      ) : null}
      <ErrorBox error={action.error} />
      {once.panel}
      <GraceSelect value={grace} onChange={setGrace} />
      <ErrorBox error={keys.error} />
      <CredentialTable
        items={keys.items}
        columns={[
          'Name',
          'Prefix',
          [
            'Scopes',
            (k) =>
              k.scopes.map((s) => (
                <code key={s} className="tag">
                  {s}
                </code>
              )),
          ],
          'Status',
          ['Created by', (k) => k.createdBy ?? 'a deleted user'],
          'Expires',
          'Last used',
        ]}
        actions={(k) =>
          isLive(k) ? (
            <RotateRevoke
              named={`${k.name} (${k.prefix})`}
              grace={grace}
              revokeConfirm={`Revoke the platform key ${k.name} (${k.prefix})? Anything using it is refused at once.`}
              run={action.run}
              rotate={() =>
                api.call(endpoints.platformKeys.rotate, {
                  params: { org, id: k.id },
                  body: { gracePeriod: grace },
                })
              }
              revoke={() => api.call(endpoints.platformKeys.revoke, { params: { org, id: k.id } })}
              show={once.show}
              what={(key) => `the platform key ${key.name}`}
              onChange={keys.reload}
            />
          ) : null
        }
      />
      {!keys.loading && keys.items.length === 0 ? <p className="muted">No platform keys yet.</p> : null}
      <MoreButton hasMore={keys.hasMore} more={keys.more} />
    </Section>
  );
}

function ServiceAccounts({ org, held }: { org: string; held: PermissionSet | null }) {
  const accounts = usePaged(
    (cursor) => api.call(endpoints.serviceAccounts.list, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const action = useAction();
  const [name, setName] = useState('');
  const roles = held ? grantableRoles(held, SA_ROLES) : [];
  const [role, setRole] = useState<SaRole | ''>('');
  const chosen = role && roles.includes(role) ? role : (roles[roles.length - 1] ?? '');
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Section title="Service accounts">
      <p className="muted">
        Non-human members that act with their role and outlive the people who made them; each has its own keys
        (<code>lk_sa_…</code>).
      </p>
      {held && holds(held, 'service_accounts', 'write') && roles.length > 0 ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (!chosen) return;
            await action.run(async () => {
              const sa = await api.call(endpoints.serviceAccounts.create, {
                params: { org },
                body: { name, role: chosen },
              });
              setName('');
              setOpen(sa.id);
              accounts.reload();
            });
          }}
        >
          <div className="fields">
            <label>
              Service account name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
            </label>
            <label>
              Role (up to your own)
              <select value={chosen} onChange={(e) => setRole(e.target.value as SaRole)}>
                <Options values={roles} />
              </select>
            </label>
            <button type="submit" disabled={action.busy}>
              Create service account
            </button>
          </div>
        </form>
      ) : held ? (
        <p className="muted">Your role cannot create service accounts here (needs service_accounts:write).</p>
      ) : null}
      <ErrorBox error={action.error ?? accounts.error} />
      <Table columns={['Name', 'Role', 'Active keys', 'Created by', 'Actions']}>
        {accounts.items.map((sa) => (
          <tr key={sa.id}>
            <td>{sa.name}</td>
            <td>{sa.role}</td>
            <td>{sa.activeKeys}</td>
            <td>{sa.createdBy ?? 'a deleted user'}</td>
            <td className="actions">
              <button
                type="button"
                className="secondary"
                aria-expanded={open === sa.id}
                onClick={() => setOpen(open === sa.id ? null : sa.id)}
              >
                {open === sa.id ? `Hide keys of ${sa.name}` : `Keys of ${sa.name}`}
              </button>
              {holds(held, 'service_accounts', 'manage') ? (
                <ConfirmButton
                  label="Delete"
                  confirm={`Delete the service account ${sa.name} and revoke its ${sa.activeKeys} active key(s)?`}
                  onConfirm={() =>
                    action.run(async () => {
                      await api.call(endpoints.serviceAccounts.delete, { params: { org, id: sa.id } });
                      if (open === sa.id) setOpen(null);
                      accounts.reload();
                    })
                  }
                />
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      {!accounts.loading && accounts.items.length === 0 ? (
        <p className="muted">No service accounts yet.</p>
      ) : null}
      <MoreButton hasMore={accounts.hasMore} more={accounts.more} />
      {open ? (
        <ServiceAccountKeys
          org={org}
          account={accounts.items.find((a) => a.id === open) ?? { id: open, name: open }}
          canWrite={holds(held, 'service_accounts', 'write')}
          onChange={accounts.reload}
        />
      ) : null}
    </Section>
  );
}

function ServiceAccountKeys({
  org,
  account,
  canWrite,
  onChange,
}: {
  org: string;
  account: { id: string; name: string };
  canWrite: boolean;
  onChange: () => void;
}) {
  const params = { org, id: account.id };
  const keys = usePaged(
    (cursor) => api.call(endpoints.serviceAccounts.listKeys, { params, query: { limit: 50, cursor } }),
    [org, account.id],
  );
  const action = useAction();
  const once = useShownOnce();
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('90d');
  const [grace, setGrace] = useState('24h');
  const changed = () => {
    keys.reload();
    onChange();
  };
  return (
    <section className="panel" aria-label={`Keys of ${account.name}`}>
      <h3>Keys of {account.name}</h3>
      {canWrite ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              const key = await api.call(endpoints.serviceAccounts.createKey, {
                params,
                body: { ...(name.trim() ? { name } : {}), ...(expiresIn ? { expiresIn } : {}) },
              });
              once.show({ token: key.token, what: `the key ${key.name} of ${account.name}` });
              setName('');
              changed();
            });
          }}
        >
          <div className="fields">
            <label>
              Key name (optional)
              <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
            </label>
            <ExpirySelect value={expiresIn} onChange={setExpiresIn} />
            <GraceSelect value={grace} onChange={setGrace} />
            <button type="submit" disabled={action.busy}>
              Create service-account key
            </button>
          </div>
        </form>
      ) : null}
      <ErrorBox error={action.error ?? keys.error} />
      {once.panel}
      <CredentialTable
        items={keys.items}
        columns={['Name', 'Prefix', 'Status', 'Expires', 'Last used']}
        actions={(k) =>
          canWrite && isLive(k) ? (
            <RotateRevoke
              named={`${k.name} (${k.prefix})`}
              grace={grace}
              revokeConfirm={`Revoke the key ${k.name} (${k.prefix}) of ${account.name}? Anything using it is refused at once.`}
              run={action.run}
              rotate={() =>
                api.call(endpoints.serviceAccounts.rotateKey, {
                  params: { ...params, keyId: k.id },
                  body: { gracePeriod: grace },
                })
              }
              revoke={() =>
                api.call(endpoints.serviceAccounts.revokeKey, { params: { ...params, keyId: k.id } })
              }
              show={once.show}
              what={(key) => `the key ${key.name} of ${account.name}`}
              onChange={changed}
            />
          ) : null
        }
      />
      {!keys.loading && keys.items.length === 0 ? <p className="muted">No keys yet.</p> : null}
      <MoreButton hasMore={keys.hasMore} more={keys.more} />
    </section>
  );
}
