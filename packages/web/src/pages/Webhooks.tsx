import { useId, useState } from 'react';
import { WEBHOOK_EVENTS, type WebhookEndpoint } from '../../../core/src/contract/effects.js';
import { api, describeError, endpoints } from '../api.js';
import { holds, type PermissionSet } from '../held.js';
import { href } from '../router.js';
import {
  ConfirmButton,
  ErrorBox,
  MoreButton,
  Notice,
  Section,
  Table,
  useAction,
  useLoad,
  usePaged,
  useShownOnce,
  when,
} from '../ui.js';
import { answer, STATE_WORDS } from './Effects.js';

// What Latchkey keeps of a signing secret: unlike a token it must sign every delivery, so it is
// kept encrypted under the master key rather than hashed.
const STORED = 'Latchkey keeps it encrypted, to sign each delivery; your receiver verifies with it.';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An org's outbound webhook endpoints (`latch webhooks …`), each delivery signed with Standard Webhooks. */
export function WebhooksPage({ org, held }: { org: string; held: PermissionSet | null }) {
  const hooks = usePaged(
    (cursor) => api.call(endpoints.webhooks.list, { params: { org }, query: { limit: 50, cursor } }),
    [org],
  );
  const once = useShownOnce();
  const action = useAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [pings, setPings] = useState<Record<string, { text: string; effect?: string }>>({});
  // Bumped after a ping, so each row's "last delivery" looks again.
  const [tick, setTick] = useState(0);
  const canWrite = holds(held, 'webhooks', 'write');
  const ping = (h: WebhookEndpoint) =>
    action.run(async () => {
      setPings((p) => ({ ...p, [h.id]: { text: `Sending a ping to ${h.url}…` } }));
      const sent = await api.call(endpoints.webhooks.test, { params: { org, id: h.id } });
      setPings((p) => ({ ...p, [h.id]: { text: pingWords(h.url, sent), effect: sent.id } }));
      // Follow the ping's first attempt for up to 30 s (`latch effects show` by hand otherwise).
      for (let i = 0; i < 30; i++) {
        const e = await api.call(endpoints.effects.show, { params: { org, id: sent.id } });
        if (e.state !== 'pending' && e.state !== 'in_flight') {
          setPings((p) => ({ ...p, [h.id]: { text: pingWords(h.url, e), effect: e.id } }));
          break;
        }
        await sleep(1000);
      }
      setTick((t) => t + 1);
    });
  return (
    <>
      <h1>Webhooks of {org}</h1>
      <p>
        Endpoints that receive the org's events. Each delivery is signed with{' '}
        <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> (<code>webhook-id</code>,{' '}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>) and retried until delivered or dead;
        see them under <a href={href('orgs', org, 'effects')}>Effects</a>.
      </p>
      {canWrite ? (
        <CreateWebhook
          org={org}
          onCreated={(h) => {
            once.show({ token: h.secret, what: `the signing secret of ${h.url}`, stored: STORED });
            hooks.reload();
          }}
        />
      ) : held ? (
        <p className="muted">Your role cannot create webhook endpoints here (needs webhooks:write).</p>
      ) : null}
      {once.panel}
      <Section title="Endpoints">
        <ErrorBox error={action.error ?? hooks.error} />
        <Table columns={['URL', 'Events', 'State', 'Last delivery', 'Actions']}>
          {hooks.items.map((h) => (
            <tr key={h.id}>
              <td>
                {h.url}
                {h.description ? <div className="muted">{h.description}</div> : null}
                <div className="muted">
                  <code>{h.id}</code>
                </div>
              </td>
              <td>
                {h.events.map((e) => (
                  <code key={e} className="tag">
                    {e}
                  </code>
                ))}
              </td>
              <td>
                <EndpointState h={h} />
              </td>
              <td>
                <LastDelivery org={org} id={h.id} tick={tick} />
                {pings[h.id] ? (
                  <Notice>
                    {pings[h.id]?.text}{' '}
                    {pings[h.id]?.effect ? (
                      <a href={href('orgs', org, 'effects', pings[h.id]?.effect ?? '')}>Attempts</a>
                    ) : null}
                  </Notice>
                ) : null}
              </td>
              <td className="actions">
                {canWrite ? (
                  <>
                    <button
                      type="button"
                      className="secondary"
                      aria-expanded={editing === h.id}
                      onClick={() => setEditing(editing === h.id ? null : h.id)}
                    >
                      {editing === h.id ? 'Close edit' : 'Edit'}
                    </button>
                    <button type="button" className="secondary" onClick={() => ping(h)}>
                      Send test ping
                    </button>
                    <ConfirmButton
                      label="Rotate secret"
                      confirm={`Rotate the signing secret of ${h.url}? The old and the new secret both sign deliveries for 24 hours.`}
                      onConfirm={() =>
                        action.run(async () => {
                          const r = await api.call(endpoints.webhooks.rotateSecret, {
                            params: { org, id: h.id },
                          });
                          once.show({
                            token: r.secret,
                            what: `the new signing secret of ${r.url}`,
                            stored: `Both secrets sign each delivery (two signatures) until ${when(r.previousSecretExpiresAt)}, 24 hours: switch your receiver to the new one before then.`,
                          });
                          hooks.reload();
                        })
                      }
                    />
                  </>
                ) : null}
                {holds(held, 'webhooks', 'manage') ? (
                  <ConfirmButton
                    label="Delete"
                    confirm={`Delete the webhook endpoint ${h.url}? Its waiting deliveries are cancelled.`}
                    onConfirm={() =>
                      action.run(async () => {
                        await api.call(endpoints.webhooks.delete, { params: { org, id: h.id } });
                        if (editing === h.id) setEditing(null);
                        hooks.reload();
                      })
                    }
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
        {!hooks.loading && hooks.items.length === 0 ? (
          <p className="muted">No webhook endpoints yet.</p>
        ) : null}
        <MoreButton hasMore={hooks.hasMore} more={hooks.more} />
        {editing ? (
          <EditWebhook
            key={editing}
            org={org}
            hook={hooks.items.find((h) => h.id === editing)}
            onSaved={() => {
              setEditing(null);
              hooks.reload();
            }}
          />
        ) : null}
      </Section>
    </>
  );
}

function pingWords(
  url: string,
  e: {
    state: string;
    messageId: string;
    lastStatus: number | null;
    lastError: string | null;
    nextAttemptAt: string | null;
  },
): string {
  if (e.state === 'delivered') return `Ping delivered to ${url}: ${answer(e.lastStatus, null)}.`;
  if (e.state === 'pending' || e.state === 'in_flight') return `Ping enqueued (webhook-id ${e.messageId}).`;
  const why = answer(e.lastStatus, e.lastError);
  if (e.state === 'retrying') return `Ping failed: ${why}. Next attempt ${when(e.nextAttemptAt)}.`;
  return `Ping failed: ${why} (${e.state}).`;
}

function EndpointState({ h }: { h: WebhookEndpoint }) {
  return (
    <>
      {h.enabled ? <span>enabled</span> : <span className="bad">disabled</span>}
      {!h.enabled && h.disabledReason ? <div className="muted">{h.disabledReason}</div> : null}
      {h.failingSince ? <div className="bad">failing since {when(h.failingSince)}</div> : null}
      {h.previousSecretExpiresAt ? (
        <div className="muted">old secret signs until {when(h.previousSecretExpiresAt)}</div>
      ) : null}
    </>
  );
}

/** The endpoint's newest effect (needs effects:read; without it, the refusal's message). */
function LastDelivery({ org, id, tick }: { org: string; id: string; tick: number }) {
  const last = useLoad(
    () => api.call(endpoints.effects.list, { params: { org }, query: { endpoint: id, limit: 1 } }),
    [org, id, tick],
  );
  if (last.error) return <span className="muted">{describeError(last.error).message}</span>;
  const e = last.data?.items[0];
  if (!e) return <span className="muted">{last.loading ? '…' : 'none yet'}</span>;
  return (
    <>
      <a href={href('orgs', org, 'effects', e.id)}>{STATE_WORDS[e.state]}</a>
      <div className="muted">
        {e.eventType ?? 'webhook'} · {answer(e.lastStatus, e.lastError)} ·{' '}
        {when(e.deliveredAt ?? e.createdAt)}
      </div>
    </>
  );
}

/** The contract's event list as checkboxes. */
function EventPicker({ value, onChange }: { value: string[]; onChange: (events: string[]) => void }) {
  return (
    <fieldset className="events">
      <legend>Events</legend>
      <div className="checks">
        {WEBHOOK_EVENTS.map((event) => (
          <label key={event} className="check">
            <input
              type="checkbox"
              checked={value.includes(event)}
              onChange={(e) =>
                onChange(e.target.checked ? [...value, event] : value.filter((v) => v !== event))
              }
            />
            <code>{event}</code>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function CreateWebhook({
  org,
  onCreated,
}: {
  org: string;
  onCreated: (h: WebhookEndpoint & { secret: string }) => void;
}) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const action = useAction();
  return (
    <Section title="New endpoint">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await action.run(async () => {
            const created = await api.call(endpoints.webhooks.create, {
              params: { org },
              body: {
                url,
                events: events as (typeof WEBHOOK_EVENTS)[number][],
                ...(description.trim() ? { description } : {}),
              },
            });
            setUrl('');
            setDescription('');
            setEvents([]);
            onCreated(created);
          });
        }}
      >
        <div className="fields">
          <label>
            Endpoint URL
            <input
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              required
              maxLength={2048}
              placeholder="https://example.com/hooks"
            />
          </label>
          <label>
            Description (optional)
            <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={200} />
          </label>
        </div>
        <EventPicker value={events} onChange={setEvents} />
        <button type="submit" disabled={action.busy || events.length === 0}>
          Create endpoint
        </button>
        {events.length === 0 ? <span className="muted"> Pick at least one event.</span> : null}
      </form>
      <ErrorBox error={action.error} />
    </Section>
  );
}

function EditWebhook({
  org,
  hook,
  onSaved,
}: {
  org: string;
  hook: WebhookEndpoint | undefined;
  onSaved: () => void;
}) {
  const [events, setEvents] = useState<string[]>(hook?.events ?? []);
  const [enabled, setEnabled] = useState(hook?.enabled ?? true);
  const action = useAction();
  const enabledId = useId();
  if (!hook) return null;
  return (
    <section className="panel" aria-label={`Edit ${hook.url}`}>
      <h3>Edit {hook.url}</h3>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await action.run(() =>
            api.call(endpoints.webhooks.update, {
              params: { org, id: hook.id },
              body: { events: events as (typeof WEBHOOK_EVENTS)[number][], enabled },
            }),
          );
          if (ok) onSaved();
        }}
      >
        <EventPicker value={events} onChange={setEvents} />
        <div className="row">
          <input
            id={enabledId}
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.target.checked)}
          />
          <label htmlFor={enabledId} className="check">
            Enabled (a disabled endpoint is sent nothing)
          </label>
        </div>
        <div className="row">
          <button type="submit" disabled={action.busy || events.length === 0}>
            Save {hook.url}
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} />
    </section>
  );
}
