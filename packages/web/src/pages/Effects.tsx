import { useEffect, useState } from 'react';
import {
  EFFECT_STATES,
  type Effect,
  type EffectState,
  type EffectsStatus,
} from '../../../core/src/contract/effects.js';
import { api, endpoints } from '../api.js';
import { holds, type PermissionSet } from '../held.js';
import { href } from '../router.js';
import {
  ConfirmButton,
  ErrorBox,
  MoreButton,
  Notice,
  Options,
  Section,
  Table,
  useAction,
  useLoad,
  usePaged,
  when,
} from '../ui.js';

/** The states as `latch effects status` words them. */
export const STATE_WORDS: Record<EffectState, string> = {
  pending: 'pending',
  in_flight: 'in flight',
  retrying: 'failed, retrying',
  delivered: 'delivered',
  dead: 'dead',
  cancelled: 'cancelled',
};

// What the server accepts (effects.service.ts): retry a dead, failing or cancelled effect;
// cancel one still waiting. Offering no more keeps a CONFLICT for the races only.
const RETRYABLE = (s: EffectState) => s === 'dead' || s === 'retrying' || s === 'cancelled';
const CANCELLABLE = (s: EffectState) => s === 'pending' || s === 'retrying';

/** Replay windows: the CLI's `--since` durations a person picks most. */
const WINDOWS = [
  { value: '30m', ms: 30 * 60_000, words: 'the last 30 minutes' },
  { value: '1h', ms: 3_600_000, words: 'the last hour' },
  { value: '2h', ms: 2 * 3_600_000, words: 'the last 2 hours' },
  { value: '6h', ms: 6 * 3_600_000, words: 'the last 6 hours' },
  { value: '24h', ms: 24 * 3_600_000, words: 'the last 24 hours' },
  { value: '3d', ms: 3 * 86_400_000, words: 'the last 3 days' },
  { value: '7d', ms: 7 * 86_400_000, words: 'the last 7 days' },
] as const;

export function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

const what = (e: Pick<Effect, 'kind' | 'eventType'>) =>
  e.kind === 'webhook' ? (e.eventType ?? 'webhook') : 'app';
/** Due now is answered as a time already past: "now" says it better. */
const next = (iso: string | null) => (!iso ? '-' : Date.parse(iso) <= Date.now() ? 'now' : when(iso));
/** `HTTP 500 · timed out`; an error that only repeats the status is said once. */
export const answer = (status: number | null, error: string | null) => {
  const code = status === null ? null : `HTTP ${status}`;
  return [code, error === code ? null : error].filter(Boolean).join(' · ') || '-';
};

/** An endpoint in a select: its id as the value, named by its URL. */
const byId = (h: { id: string }) => h.id;
const byUrl = (h: { url: string }) => h.url;

const EffectLink = ({ org, id }: { org: string; id: string }) => (
  <a href={href('orgs', org, 'effects', id)}>
    <code>{id}</code>
  </a>
);

type Filters = { env: string; state: EffectState | ''; endpoint: string };

/**
 * An org's background deliveries (`latch effects status/list/retry/cancel/replay`): webhook
 * events and app-enqueued callbacks, filtered by environment, state and endpoint.
 */
export function EffectsPage({ org, held }: { org: string; held: PermissionSet | null }) {
  const [draft, setDraft] = useState<Filters>({ env: '', state: '', endpoint: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const environment = filters.env.trim();
  // The endpoints name themselves by URL in the filter and the replay form; without webhooks:read
  // the filter takes an id instead.
  const hooks = useLoad(() => api.all(endpoints.webhooks.list, { params: { org } }), [org]);
  // With the environment it was loaded for, so the heading never names one the numbers are not of.
  const status = useLoad(
    async () => ({
      environment,
      s: await api.call(endpoints.effects.status, {
        params: { org },
        query: environment ? { environment } : {},
      }),
    }),
    [org, environment],
  );
  const list = usePaged(
    (cursor) =>
      api.call(endpoints.effects.list, {
        params: { org },
        query: {
          limit: 25,
          cursor,
          ...(filters.state ? { state: filters.state } : {}),
          ...(filters.endpoint.trim() ? { endpoint: filters.endpoint.trim() } : {}),
          ...(environment ? { environment } : {}),
        },
      }),
    [org, environment, filters.state, filters.endpoint],
  );
  const action = useAction();
  const [notice, setNotice] = useState('');
  const canWrite = holds(held, 'effects', 'write');
  const refresh = () => {
    status.reload();
    list.reload();
  };
  return (
    <>
      <h1>Effects of {org}</h1>
      <p>
        Background deliveries: <a href={href('orgs', org, 'webhooks')}>webhook</a> events and the callbacks
        apps enqueue, each retried on a schedule until delivered or dead. A delivery is a 2xx answer within 15
        s.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <div className="fields">
          <label>
            Environment (all when empty)
            <input value={draft.env} onChange={(e) => setDraft({ ...draft, env: e.target.value })} />
          </label>
          <label>
            State
            <select
              value={draft.state}
              onChange={(e) => setDraft({ ...draft, state: e.target.value as EffectState | '' })}
            >
              <option value="">any</option>
              <Options values={EFFECT_STATES} label={(s) => STATE_WORDS[s]} />
            </select>
          </label>
          {hooks.error ? (
            <label>
              Endpoint id (whe_…)
              <input
                value={draft.endpoint}
                onChange={(e) => setDraft({ ...draft, endpoint: e.target.value })}
              />
            </label>
          ) : (
            <label>
              Endpoint
              <select
                value={draft.endpoint}
                onChange={(e) => setDraft({ ...draft, endpoint: e.target.value })}
              >
                <option value="">any</option>
                <Options values={hooks.data ?? []} value={byId} label={byUrl} />
              </select>
            </label>
          )}
          <button type="submit">Filter</button>
          <button type="button" className="secondary" onClick={refresh}>
            Refresh
          </button>
        </div>
      </form>
      <Section title={status.data?.environment ? `Status in ${status.data.environment}` : 'Status'}>
        <ErrorBox error={status.error} />
        {status.data ? <StatusView org={org} s={status.data.s} /> : null}
      </Section>
      <Section title="Deliveries">
        <ErrorBox error={action.error ?? list.error} />
        <Notice>{notice}</Notice>
        <Table
          columns={[
            'Created',
            'Effect',
            'What',
            'URL',
            'State',
            'Attempts',
            'Last answer',
            'Next attempt',
            'Actions',
          ]}
        >
          {list.items.map((e) => (
            <tr key={e.id}>
              <td>{when(e.createdAt)}</td>
              <td>
                <EffectLink org={org} id={e.id} />
              </td>
              <td>
                <code>{what(e)}</code>
                {e.project ? <span className="muted"> ({e.project})</span> : null}
              </td>
              <td>{e.url}</td>
              <td className={e.state === 'dead' ? 'bad' : undefined}>{STATE_WORDS[e.state]}</td>
              <td>
                {e.attempts} of {e.maxAttempts}
              </td>
              <td>{answer(e.lastStatus, e.lastError)}</td>
              <td>{next(e.nextAttemptAt)}</td>
              <td className="actions">
                {canWrite ? (
                  <EffectActions
                    org={org}
                    effect={e}
                    run={action.run}
                    onDone={(message) => {
                      setNotice(message);
                      refresh();
                    }}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
        {!list.loading && list.items.length === 0 ? <p className="muted">No effects match.</p> : null}
        <MoreButton hasMore={list.hasMore} more={list.more} />
      </Section>
      {canWrite && hooks.data && hooks.data.length > 0 ? (
        <Replay org={org} hooks={hooks.data} onDone={refresh} />
      ) : null}
    </>
  );
}

function StatusView({ org, s }: { org: string; s: EffectsStatus }) {
  return (
    <>
      <dl className="stats">
        {EFFECT_STATES.map((state) => (
          <div key={state}>
            <dt>{STATE_WORDS[state]}</dt>
            <dd className={state === 'dead' && (s.counts.dead ?? 0) > 0 ? 'bad' : undefined}>
              {s.counts[state] ?? 0}
            </dd>
          </div>
        ))}
        <div>
          <dt>oldest pending</dt>
          <dd>{s.oldestPendingSeconds === null ? '-' : age(s.oldestPendingSeconds)}</dd>
        </div>
        <div>
          <dt>delivered (5 min)</dt>
          <dd>
            {s.deliveredLast5Minutes} ({s.perMinute}/min)
          </dd>
        </div>
      </dl>
      <h3>Latest failures</h3>
      {s.latestFailures.length === 0 ? (
        <p className="muted">No failing or dead deliveries.</p>
      ) : (
        <Table columns={['When', 'Effect', 'URL', 'HTTP status', 'Error']}>
          {s.latestFailures.map((f) => (
            <tr key={f.id}>
              <td>{when(f.at)}</td>
              <td>
                <EffectLink org={org} id={f.id} />
              </td>
              <td>{f.url}</td>
              <td>{f.status ?? '-'}</td>
              <td>{f.error ?? '-'}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

/** Retry (now, one more attempt) and cancel (confirmed, naming the effect and where it goes). */
function EffectActions({
  org,
  effect: e,
  run,
  onDone,
}: {
  org: string;
  effect: Effect;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  onDone: (message: string) => void;
}) {
  const params = { org, id: e.id };
  return (
    <>
      {RETRYABLE(e.state) ? (
        <button
          type="button"
          onClick={() =>
            run(async () => {
              await api.call(endpoints.effects.retry, { params });
              onDone(`${e.id} is due now: it is attempted again within seconds.`);
            })
          }
        >
          Retry
        </button>
      ) : null}
      {CANCELLABLE(e.state) ? (
        <ConfirmButton
          label="Cancel delivery"
          confirm={`Cancel ${e.id} (${what(e)} to ${e.url})? It is not attempted again.`}
          onConfirm={() =>
            run(async () => {
              await api.call(endpoints.effects.cancel, { params });
              onDone(`${e.id} is cancelled.`);
            })
          }
        />
      ) : null}
    </>
  );
}

/** `latch effects replay --endpoint … --since …`: everything an endpoint was sent, again. */
function Replay({
  org,
  hooks,
  onDone,
}: {
  org: string;
  hooks: { id: string; url: string }[];
  onDone: () => void;
}) {
  const [endpoint, setEndpoint] = useState(hooks[0]?.id ?? '');
  const [since, setSince] = useState<(typeof WINDOWS)[number]['value']>('2h');
  const [result, setResult] = useState<string | null>(null);
  const action = useAction();
  const chosen = hooks.find((h) => h.id === endpoint) ?? hooks[0];
  const span = WINDOWS.find((w) => w.value === since) ?? WINDOWS[2];
  if (!chosen) return null;
  return (
    <Section title="Replay">
      <p className="muted">
        Send again everything an endpoint was sent in a window, as new deliveries with the same{' '}
        <code>webhook-id</code> (receivers can tell repeats). A message still waiting is not sent twice.
      </p>
      <div className="fields">
        <label>
          Endpoint to replay
          <select value={chosen.id} onChange={(e) => setEndpoint(e.target.value)}>
            <Options values={hooks} value={byId} label={byUrl} />
          </select>
        </label>
        <label>
          Since
          <select value={span.value} onChange={(e) => setSince(e.target.value as typeof since)}>
            <Options values={WINDOWS} value={(w) => w.value} label={(w) => w.words} />
          </select>
        </label>
      </div>
      <ConfirmButton
        label="Replay"
        confirm={`Send again everything ${chosen.url} was sent in ${span.words}?`}
        onConfirm={() =>
          action.run(async () => {
            setResult(null);
            const r = await api.call(endpoints.effects.replay, {
              params: { org },
              body: { endpoint: chosen.id, since: new Date(Date.now() - span.ms).toISOString() },
            });
            setResult(
              `${r.enqueued} ${r.enqueued === 1 ? 'delivery' : 'deliveries'} enqueued again for ${chosen.url} (${span.words}).`,
            );
            onDone();
          })
        }
      />
      <ErrorBox error={action.error} />
      <Notice>{result}</Notice>
    </Section>
  );
}

/** One effect with every attempt (`latch effects show`), its retry and cancel. */
export function EffectPage({ org, id, held }: { org: string; id: string; held: PermissionSet | null }) {
  const effect = useLoad(() => api.call(endpoints.effects.show, { params: { org, id } }), [org, id]);
  const action = useAction();
  const [notice, setNotice] = useState('');
  const e = effect.data;
  // While an attempt is under way or due within the minute, look again every 2 s, so a retry's
  // outcome appears by itself.
  const soon =
    !!e &&
    (e.state === 'pending' ||
      e.state === 'in_flight' ||
      (e.state === 'retrying' && !!e.nextAttemptAt && Date.parse(e.nextAttemptAt) - Date.now() < 60_000));
  const { loading, reload } = effect;
  useEffect(() => {
    if (!soon || loading) return;
    const timer = setTimeout(reload, 2000);
    return () => clearTimeout(timer);
  }, [soon, loading, reload]);
  return (
    <>
      <p>
        <a href={href('orgs', org, 'effects')}>← Effects of {org}</a>
      </p>
      <h1>
        Effect <code>{id}</code>
      </h1>
      <ErrorBox error={effect.error} />
      {e ? (
        <>
          <Section title="Delivery">
            <dl className="facts">
              <dt>State</dt>
              <dd className={e.state === 'dead' ? 'bad' : undefined} data-testid="effect-state">
                {STATE_WORDS[e.state]}
              </dd>
              <dt>What</dt>
              <dd>
                <code>{what(e)}</code>
                {e.project ? ` from ${e.project}` : ''}
              </dd>
              <dt>URL</dt>
              <dd>{e.url}</dd>
              {/* The receiver's idempotency key: a webhook's `webhook-id`, an app callback's header. */}
              <dt>{e.kind === 'webhook' ? 'webhook-id' : 'Idempotency-Key'}</dt>
              <dd>
                <code>{e.messageId}</code>
              </dd>
              <dt>Attempts</dt>
              <dd>
                {e.attempts} of {e.maxAttempts}
              </dd>
              <dt>Next attempt</dt>
              <dd>{next(e.nextAttemptAt)}</dd>
              <dt>Created</dt>
              <dd>{when(e.createdAt)}</dd>
              <dt>Delivered</dt>
              <dd>{when(e.deliveredAt, 'not yet')}</dd>
            </dl>
            {holds(held, 'effects', 'write') ? (
              <div className="row">
                <EffectActions
                  org={org}
                  effect={e}
                  run={action.run}
                  onDone={(message) => {
                    setNotice(message);
                    effect.reload();
                  }}
                />
              </div>
            ) : null}
            <ErrorBox error={action.error} />
            <Notice>{notice}</Notice>
          </Section>
          <Section title="Attempts">
            <Table
              columns={['#', 'Started', 'Outcome', 'HTTP status', 'Latency', 'Error', 'Response (start)']}
            >
              {e.attemptLog.map((a) => (
                <tr key={a.attempt}>
                  <td>{a.attempt}</td>
                  <td>{when(a.startedAt)}</td>
                  <td>{a.outcome}</td>
                  <td>{a.status ?? '-'}</td>
                  <td>{a.latencyMs === null ? '-' : `${a.latencyMs} ms`}</td>
                  <td>{a.error ?? '-'}</td>
                  <td>{a.responseSnippet ? <code>{a.responseSnippet}</code> : '-'}</td>
                </tr>
              ))}
            </Table>
            {e.attemptLog.length === 0 ? <p className="muted">Not attempted yet.</p> : null}
          </Section>
        </>
      ) : null}
    </>
  );
}
