import { useState } from 'react';
import { api, endpoints } from '../api.js';
import {
  ConfirmButton,
  ErrorBox,
  MoreButton,
  Section,
  Table,
  useAction,
  useLoad,
  useShownOnce,
  when,
} from '../ui.js';

const DAY = 24 * 3600 * 1000;
/** Rows shown at first and per "Load more". */
const PAGE = 50;

type Cred = {
  kind: 'PAT' | 'API key';
  id: string;
  name: string;
  prefix: string;
  where: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  revoke: () => Promise<unknown>;
  /** Gives it a new secret, shown once; what happens to the old one is `rotateNote`. */
  rotate: () => Promise<{ token: string }>;
  rotateNote: string;
};

/** Why a live credential needs a look: expiring within 7 days, never used, or unused for 30 days. */
export function findings(c: Pick<Cred, 'expiresAt' | 'lastUsedAt' | 'createdAt'>, now: number): string[] {
  const out: string[] = [];
  if (c.expiresAt && Date.parse(c.expiresAt) - now < 7 * DAY) out.push('expires within 7 days');
  if (!c.lastUsedAt) {
    if (now - Date.parse(c.createdAt) > DAY) out.push('never used');
  } else if (now - Date.parse(c.lastUsedAt) > 30 * DAY) out.push('unused for 30 days');
  return out;
}

export function HygienePage({ org }: { org: string }) {
  const action = useAction();
  const once = useShownOnce();
  const creds = useLoad(async () => {
    const out: Cred[] = [];
    for (const pat of await api.all(endpoints.pats.list)) {
      if (pat.status === 'revoked' || pat.status === 'expired') continue;
      out.push({
        ...pat,
        kind: 'PAT',
        where: 'your account',
        revoke: () => api.call(endpoints.pats.revoke, { params: { id: pat.id } }),
        rotate: () => api.call(endpoints.pats.rotate, { params: { id: pat.id } }),
        rotateNote: 'The current token stops working at once.',
      });
    }
    for (const project of await api.all(endpoints.projects.list, { params: { org } })) {
      for (const key of await api.all(endpoints.apiKeys.list, { params: { org, project: project.id } })) {
        if (key.status === 'revoked' || key.status === 'expired') continue;
        out.push({
          ...key,
          kind: 'API key',
          where: `${project.name} / ${key.environment}`,
          revoke: () =>
            api.call(endpoints.apiKeys.revoke, { params: { org, project: project.id, id: key.id } }),
          rotate: () =>
            api.call(endpoints.apiKeys.rotate, {
              params: { org, project: project.id, id: key.id },
              body: { gracePeriod: '24h' },
            }),
          rotateNote: 'The current secret keeps working for 24 hours.',
        });
      }
    }
    return out;
  }, [org]);
  // The findings come from every page of PATs and API keys (no endpoint lists the org's
  // credentials at once), so the list pages on screen.
  const [shown, setShown] = useState(PAGE);
  const now = Date.now();
  const flagged = (creds.data ?? [])
    .map((c) => ({ c, why: findings(c, now) }))
    .filter((f) => f.why.length > 0);
  return (
    <>
      <h1>Credential hygiene in {org}</h1>
      <ErrorBox error={creds.error ?? action.error} />
      {once.panel}
      <Section title="Needs a look">
        {creds.data && flagged.length === 0 ? <p className="muted">Nothing to clean up.</p> : null}
        <Table columns={['Credential', 'Where', 'Why', 'Expires', 'Last used', 'Actions']}>
          {flagged.slice(0, shown).map(({ c, why }) => (
            <tr key={c.id}>
              <td>
                {c.kind} {c.name} <code>{c.prefix}</code>
              </td>
              <td>{c.where}</td>
              <td>{why.join(', ')}</td>
              <td>{when(c.expiresAt)}</td>
              <td>{when(c.lastUsedAt)}</td>
              <td className="actions">
                <ConfirmButton
                  label="Rotate"
                  confirm={`Rotate the ${c.kind} ${c.name} (${c.prefix})? ${c.rotateNote}`}
                  onConfirm={() =>
                    action.run(async () => {
                      const fresh = await c.rotate();
                      once.show({
                        token: fresh.token,
                        what: `the new secret of the ${c.kind} ${c.name}`,
                      });
                      creds.reload();
                    })
                  }
                />
                <ConfirmButton
                  label="Revoke"
                  confirm={`Revoke the ${c.kind} ${c.name} (${c.prefix})?`}
                  onConfirm={() =>
                    action.run(async () => {
                      await c.revoke();
                      creds.reload();
                    })
                  }
                />
              </td>
            </tr>
          ))}
        </Table>
        <MoreButton hasMore={flagged.length > shown} more={() => setShown((n) => n + PAGE)} />
      </Section>
    </>
  );
}
