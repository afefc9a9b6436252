import { useState } from 'react';
import { api, endpoints } from '../api.js';
import { CredentialTable, isLive } from '../credential-columns.js';
import {
  ConfirmButton,
  ErrorBox,
  MoreButton,
  Section,
  useAction,
  usePaged,
  useShownOnce,
  when,
} from '../ui.js';

const PAGE = 50;

export function AccountPage() {
  return (
    <>
      <h1>Account</h1>
      <Pats />
      <IdentityLinks />
    </>
  );
}

function Pats() {
  const pats = usePaged((cursor) => api.call(endpoints.pats.list, { query: { limit: PAGE, cursor } }), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('90d');
  const once = useShownOnce();
  return (
    <Section title="Personal access tokens">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await action.run(async () => {
            const pat = await api.call(endpoints.pats.create, { body: { name, expiresIn } });
            once.show({ token: pat.token, what: `the token ${pat.name}` });
            setName('');
            pats.reload();
          });
        }}
      >
        <div className="fields">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          </label>
          <label>
            Expires in
            <select value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
              <option value="7d">7 days</option>
              <option value="30d">30 days</option>
              <option value="90d">90 days</option>
              <option value="365d">1 year</option>
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            Create token
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} />
      {once.panel}
      <ErrorBox error={pats.error} />
      <CredentialTable
        items={pats.items}
        columns={['Name', 'Prefix', 'Status', 'Expires', 'Last used']}
        actions={(pat) =>
          isLive(pat) ? (
            <ConfirmButton
              label="Revoke"
              confirm={`Revoke the token ${pat.name} (${pat.prefix})? Anything using it stops working.`}
              onConfirm={() =>
                action.run(async () => {
                  await api.call(endpoints.pats.revoke, { params: { id: pat.id } });
                  pats.reload();
                })
              }
            />
          ) : null
        }
      />
      {!pats.loading && pats.items.length === 0 ? <p className="muted">No tokens yet.</p> : null}
      <MoreButton hasMore={pats.hasMore} more={pats.more} />
    </Section>
  );
}

function IdentityLinks() {
  const links = usePaged(
    (cursor) => api.call(endpoints.identities.list, { query: { limit: PAGE, cursor } }),
    [],
  );
  const action = useAction();
  return (
    <Section title="Identity links (single sign-on)">
      <ErrorBox error={links.error ?? action.error} />
      {!links.loading && links.items.length === 0 ? (
        <p className="muted">No sign-in identity is linked to this account.</p>
      ) : (
        <ul className="plain">
          {links.items.map((link) => (
            <li key={link.id}>
              <span>
                {link.email ?? link.subject} at <code>{link.issuer}</code>, last used {when(link.lastUsedAt)}
              </span>{' '}
              <ConfirmButton
                label="Unlink"
                confirm={`Unlink ${link.email ?? link.subject}? You can no longer sign in with it.`}
                onConfirm={() =>
                  action.run(async () => {
                    await api.call(endpoints.identities.remove, { params: { id: link.id } });
                    links.reload();
                  })
                }
              />
            </li>
          ))}
        </ul>
      )}
      <MoreButton hasMore={links.hasMore} more={links.more} />
    </Section>
  );
}
