import { useEffect, useMemo, useRef, useState } from 'react';
import { LOG_EVENT_TYPES, type LogEvent, type LogEventType } from '../../../core/src/contract/index.js';
import { api, endpoints } from '../api.js';
import { followLog, type StreamState } from '../log-stream.js';
import { href } from '../router.js';
import { ErrorBox, Options, Section, Table, useLoad, when } from '../ui.js';

type Where = { org: string; project: string; env: string };

/** The newest events kept in the page; older ones drop off (`latch logs --since` lists any window). */
export const MAX_ROWS = 500;
/** New rows are announced to screen readers at most this often, as one count. */
const ANNOUNCE_MS = 5_000;

const SINCE = {
  tail: { label: 'The last 20 events', ms: 0 },
  '15m': { label: 'The last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'The last hour', ms: 3_600_000 },
  '24h': { label: 'The last 24 hours', ms: 86_400_000 },
} as const;
type Since = keyof typeof SINCE;

type Filters = { types: LogEventType[]; key: string; since: Since };
const ALL: Filters = { types: [...LOG_EVENT_TYPES], key: '', since: 'tail' };

const STATE_LABEL: Record<StreamState | 'paused', string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost: reconnecting…',
  refused: 'Stopped',
  paused: 'Paused',
};

/**
 * `latch logs --tail` in the browser: an environment's verifications, denials, rate limits,
 * audit events, releases and deliveries, newest first, arriving live over the log stream.
 */
export function LogsPage(where: Where) {
  const { org, project, env } = where;
  const [draft, setDraft] = useState<Filters>(ALL);
  const [filters, setFilters] = useState<Filters>(ALL);
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<LogEvent[]>([]);
  const [received, setReceived] = useState(0);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<unknown>(null);
  const [announce, setAnnounce] = useState('');
  const lastId = useRef<string | undefined>(undefined);
  const unannounced = useRef(0);
  const total = useRef(0);
  const keys = useLoad(
    () => api.all(endpoints.apiKeys.list, { params: { org, project }, query: { env } }),
    [org, project, env],
  );

  // Opens the stream; again after a pause (resuming from the last id) or a change of filters
  // (afresh: `apply` forgets the position, and `start` the rows).
  useEffect(() => {
    if (paused) return;
    const filter = {
      ...(filters.types.length < LOG_EVENT_TYPES.length ? { type: filters.types.join(',') } : {}),
      ...(filters.key ? { key: filters.key } : {}),
    };
    // Only live ones are announced: the backlog and a window's list are there on arrival.
    const add = (events: LogEvent[], live: boolean) => {
      if (live) unannounced.current += events.length;
      total.current += events.length;
      setReceived((n) => n + events.length);
      setRows((old) => {
        const next = old.concat(events);
        return next.length > MAX_ROWS ? next.slice(next.length - MAX_ROWS) : next;
      });
    };
    let stop: (() => void) | undefined;
    let cancelled = false;
    const follow = (opts: { after?: string; backlog?: number; notBefore?: string }) => {
      if (cancelled) return;
      stop = followLog({
        url: api.url(endpoints.logs.stream, {
          params: { org, project, env },
          query: { ...filter, backlog: opts.backlog ?? 0 },
        }),
        after: opts.after,
        notBefore: opts.notBefore,
        onEvents: add,
        onPosition: (id) => {
          lastId.current = id;
        },
        onState: (s, err) => {
          setState(s);
          if (s === 'refused') setError(err);
        },
      });
    };
    /** Afresh (also after a pause that came before the stream said where it stood). */
    const start = () => {
      setRows([]);
      setReceived(0);
      total.current = 0;
      if (filters.since === 'tail') return follow({ backlog: 20 });
      // A window: its events from the list (oldest first), then live from the last of them.
      const since = new Date(Date.now() - SINCE[filters.since].ms).toISOString();
      setState('connecting');
      api
        .call(endpoints.logs.list, {
          params: { org, project, env },
          query: { ...filter, since, limit: MAX_ROWS },
        })
        .then(
          (page) => {
            if (cancelled) return;
            add(page.items, false);
            const last = page.items.at(-1);
            // Nothing in the window yet: the stream's backlog may hold what came since the list.
            if (last) follow({ after: last.id });
            else follow({ backlog: 20, notBefore: since });
          },
          (err: unknown) => {
            if (cancelled) return;
            setState('refused');
            setError(err);
          },
        );
    };
    setError(null);
    if (lastId.current) follow({ after: lastId.current });
    else start();
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [org, project, env, filters, paused]);

  // One polite announcement of how many rows arrived, not one per row.
  useEffect(() => {
    const timer = setInterval(() => {
      const n = unannounced.current;
      if (n === 0) return;
      unannounced.current = 0;
      // The total too, so that two equal counts in a row are still a change to announce.
      setAnnounce(`${n} new ${n === 1 ? 'event' : 'events'}, ${total.current} received`);
    }, ANNOUNCE_MS);
    return () => clearInterval(timer);
  }, []);

  const apply = (next: Filters) => {
    lastId.current = undefined;
    unannounced.current = 0;
    setPaused(false);
    setFilters(next);
  };

  // Newest first by time; usage reports arrive a few seconds after the verifications they carry.
  const shown = useMemo(
    () =>
      rows
        .map((e, i) => [e, i] as const)
        .sort((a, b) => b[0].at.localeCompare(a[0].at) || b[1] - a[1])
        .map(([e]) => e),
    [rows],
  );
  const keyName = new Map((keys.data ?? []).map((k) => [k.id, k.name]));
  const shownState = paused ? 'paused' : state;

  return (
    <>
      <h1>
        Logs of {project} / {env}{' '}
        <a className="small" href={href('orgs', org, 'projects', project, 'env', env)}>
          (back to the environment)
        </a>
      </h1>
      <p>
        Verifications, denials and rate limits reported by your apps' SDKs, audit events, releases and webhook
        deliveries of this environment, as they happen (the same as <code>latch logs --tail</code>
        ). The page keeps the newest {MAX_ROWS} events; <code>latch logs --since</code> lists any window.
      </p>
      <Section title="Filters">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <fieldset className="scopes">
            <legend>Types</legend>
            <div className="fields">
              {LOG_EVENT_TYPES.map((t) => (
                <label key={t} className="check">
                  <input
                    type="checkbox"
                    checked={draft.types.includes(t)}
                    onChange={(e) =>
                      setDraft({
                        ...draft,
                        types: e.target.checked
                          ? LOG_EVENT_TYPES.filter((x) => x === t || draft.types.includes(x))
                          : draft.types.filter((x) => x !== t),
                      })
                    }
                  />
                  {t}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="fields">
            <label>
              API key
              <select value={draft.key} onChange={(e) => setDraft({ ...draft, key: e.target.value })}>
                <option value="">All keys</option>
                <Options
                  values={keys.data ?? []}
                  value={(k) => k.id}
                  label={(k) => `${k.name} (${k.prefix}…)`}
                />
              </select>
            </label>
            <label>
              Since
              <select
                value={draft.since}
                onChange={(e) => setDraft({ ...draft, since: e.target.value as Since })}
              >
                <Options values={Object.keys(SINCE) as Since[]} label={(s) => SINCE[s].label} />
              </select>
            </label>
            <button type="submit" disabled={draft.types.length === 0}>
              Apply filters
            </button>
          </div>
          {draft.types.length === 0 ? <p className="muted">Pick at least one type.</p> : null}
        </form>
        <ErrorBox error={keys.error} />
      </Section>
      <Section title="Events">
        <div className="row stream-bar">
          <span className={`state state-${shownState}`} role="status">
            {STATE_LABEL[shownState]}
          </span>
          {state !== 'refused' ? (
            <button type="button" className="secondary" onClick={() => setPaused(!paused)}>
              {paused ? 'Resume' : 'Pause'}
            </button>
          ) : null}
          <span className="muted">
            {received > rows.length
              ? `Showing the newest ${rows.length} of ${received} events received.`
              : `${rows.length} ${rows.length === 1 ? 'event' : 'events'}.`}
            {paused ? ' New events wait on the server; Resume shows them.' : ''}
          </span>
        </div>
        <p className="sr-only" aria-live="polite">
          {announce}
        </p>
        <ErrorBox error={error} />
        <Table
          region="Events, newest first"
          columns={['Time', 'Type', 'Key', 'Route or action', 'Outcome', 'Latency', 'By']}
        >
          {shown.map((e) => (
            <EventRow key={e.id} e={e} keyName={keyName} />
          ))}
        </Table>
        {rows.length === 0 && state === 'live' && !paused ? (
          <p className="muted">No events yet: they appear here as they happen.</p>
        ) : null}
      </Section>
    </>
  );
}

const BAD = new Set(['denied', 'rate_limited']);

function EventRow({ e, keyName }: { e: LogEvent; keyName: Map<string, string> }) {
  const verification = e.type === 'verify' || BAD.has(e.type);
  const what = verification ? e.route : [e.action, e.detail].filter(Boolean).join(' ');
  return (
    <tr data-type={e.type}>
      <td>
        <time dateTime={e.at}>{when(e.at)}</time>
      </td>
      <td className={BAD.has(e.type) || (e.type === 'delivery' && e.outcome !== 'delivered') ? 'bad' : ''}>
        {e.type}
      </td>
      <td>{e.keyName ?? (e.keyId ? (keyName.get(e.keyId) ?? e.keyId) : '')}</td>
      <td>
        <code>{what}</code>
        {e.count > 1 ? <span className="muted"> ×{e.count}</span> : null}
      </td>
      <td>{e.outcome ?? ''}</td>
      <td>{e.latencyMs === null ? '' : `${e.latencyMs.toFixed(1)} ms`}</td>
      <td>{e.actor ?? e.clientAddr ?? ''}</td>
    </tr>
  );
}
