import { useState } from 'react';
import { ROLES } from '../../../core/src/permissions/permissions.js';
import { api, endpoints } from '../api.js';
import {
  ConfirmButton,
  ErrorBox,
  MoreButton,
  Options,
  Section,
  Table,
  useAction,
  usePaged,
  when,
} from '../ui.js';

type Role = (typeof ROLES)[number];

export function MembersPage({ org }: { org: string }) {
  const members = usePaged(
    (cursor) => api.call(endpoints.members.list, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const invites = usePaged(
    (cursor) => api.call(endpoints.invitations.listForOrg, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const action = useAction();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [link, setLink] = useState<string | null>(null);
  return (
    <>
      <h1>Members of {org}</h1>
      <ErrorBox error={action.error} />
      <Section title="Members">
        <ErrorBox error={members.error} />
        <Table columns={['Email', 'Role', 'Joined', 'Actions']}>
          {members.items.map((m) => (
            <tr key={m.userId}>
              <td>{m.email}</td>
              <td>
                <RoleChange
                  org={org}
                  member={m}
                  change={(role) =>
                    action.run(async () => {
                      await api.call(endpoints.members.update, {
                        params: { org, member: m.userId },
                        body: { role },
                      });
                      members.reload();
                    })
                  }
                />
              </td>
              <td>{when(m.joinedAt)}</td>
              <td>
                <ConfirmButton
                  label="Remove"
                  confirm={`Remove ${m.email} from ${org}? Their access to its projects ends.`}
                  onConfirm={() =>
                    action.run(async () => {
                      await api.call(endpoints.members.remove, { params: { org, member: m.userId } });
                      members.reload();
                    })
                  }
                />
              </td>
            </tr>
          ))}
        </Table>
        <MoreButton hasMore={members.hasMore} more={members.more} />
      </Section>
      <Section title="Invitations">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              const created = await api.call(endpoints.invitations.create, {
                params: { org },
                body: { email, role },
              });
              setLink(created.link);
              setEmail('');
              invites.reload();
            });
          }}
        >
          <div className="fields">
            <label>
              Email
              <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
            </label>
            <label>
              Role
              <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <Options values={ROLES} />
              </select>
            </label>
            <button type="submit" disabled={action.busy}>
              Invite
            </button>
          </div>
        </form>
        {link ? (
          <p role="status">
            No mail server is configured: pass this single-use link on yourself (shown once):{' '}
            <code className="secret">{link}</code>
          </p>
        ) : null}
        <ErrorBox error={invites.error} />
        <ul className="plain">
          {invites.items
            .filter((i) => i.status === 'pending')
            .map((i) => (
              <li key={i.id}>
                <span>
                  {i.email} as {i.role}, expires {when(i.expiresAt)}
                </span>{' '}
                <ConfirmButton
                  label="Revoke"
                  confirm={`Revoke the invitation of ${i.email}? Its link stops working.`}
                  onConfirm={() =>
                    action.run(async () => {
                      await api.call(endpoints.invitations.revoke, { params: { org, id: i.id } });
                      invites.reload();
                    })
                  }
                />
              </li>
            ))}
        </ul>
        <MoreButton hasMore={invites.hasMore} more={invites.more} />
      </Section>
    </>
  );
}

/**
 * A member's role: picking another asks first, naming the member and both roles (a demotion takes
 * rights away). The focus stays on the picker, so arrow keys still move through the roles.
 */
function RoleChange({
  org,
  member,
  change,
}: {
  org: string;
  member: { email: string; role: Role };
  change: (role: Role) => Promise<boolean>;
}) {
  const [wanted, setWanted] = useState<Role | null>(null);
  return (
    <>
      <select
        aria-label={`Role of ${member.email}`}
        value={wanted ?? member.role}
        onChange={(e) => {
          const role = e.target.value as Role;
          setWanted(role === member.role ? null : role);
        }}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {wanted ? (
        <fieldset
          className="confirm"
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            e.preventDefault();
            setWanted(null);
          }}
        >
          <legend>
            Change the role of {member.email} in {org} from {member.role} to {wanted}?
          </legend>
          <button
            type="button"
            className="danger"
            onClick={async () => {
              await change(wanted);
              setWanted(null);
            }}
          >
            Yes, change role
          </button>
          <button type="button" className="secondary" onClick={() => setWanted(null)}>
            Cancel
          </button>
        </fieldset>
      ) : null}
    </>
  );
}
