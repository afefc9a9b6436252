import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api.js';

/** An API error as the API worded it: message, hint and code. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const { message, hint, code } = describeError(error);
  return (
    <div className="error" role="alert">
      <strong>{message}</strong>
      {hint ? <p>{hint}</p> : null}
      {code ? <p className="muted">Error code: {code}</p> : null}
    </div>
  );
}

/** Loads with `load` (again when `deps` change or on `reload()`); errors are kept, not thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Runs an action, keeping its error to show next to the form that started it. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run };
}

/**
 * A destructive action in two steps: the button, then a confirmation that names what it destroys.
 * For keyboard users the focus moves into the confirmation, on Cancel (the harmless choice, so a
 * second Enter destroys nothing); Escape cancels; both ways it returns to the button.
 */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
}: {
  label: string;
  confirm: string;
  onConfirm: () => unknown;
}) {
  const [asking, setAsking] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (refocus.current) {
      refocus.current = false;
      trigger.current?.focus();
    }
  }, [asking]);
  const close = () => {
    refocus.current = true;
    setAsking(false);
  };
  if (!asking)
    return (
      <button type="button" className="danger" ref={trigger} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <fieldset
      className="confirm"
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        close();
      }}
    >
      <legend>{confirm}</legend>
      <button
        type="button"
        className="danger"
        onClick={async () => {
          await onConfirm();
          close();
        }}
      >
        Yes, {label.charAt(0).toLowerCase() + label.slice(1)}
      </button>
      <button type="button" className="secondary" ref={cancel} onClick={close}>
        Cancel
      </button>
    </fieldset>
  );
}

/**
 * A secret shown once, with a warning and a copy button: a new token (PAT, API key, platform or
 * service-account key) or a webhook's signing secret. `stored` says what Latchkey keeps of it.
 */
export function ShownOnce({
  token,
  what,
  stored = 'Latchkey stores only its hash.',
  onDone,
}: {
  token: string;
  what: string;
  stored?: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="shown-once" role="status">
      <p>
        <strong>Copy {what} now: it is shown only this once.</strong> {stored}
      </p>
      <code className="secret" data-testid="shown-once-token">
        {token}
      </code>
      <div className="row">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard?.writeText(token).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done, hide it
        </button>
      </div>
    </div>
  );
}

type Shown = { token: string; what: string; stored?: string };

/**
 * The one-time panel's state: `show(...)` after a create or rotate, `panel` where it appears.
 * Hiding it drops the secret from memory too (nothing keeps it once "Done" is pressed).
 */
export function useShownOnce() {
  const [shown, setShown] = useState<Shown | null>(null);
  const show = useCallback((next: Shown) => setShown(next), []);
  const panel = shown ? <ShownOnce {...shown} onDone={() => setShown(null)} /> : null;
  return { show, panel };
}

/** What an action just did, announced by screen readers; nothing while there is nothing to say. */
export function Notice({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p role="status" className="notice">
      {children}
    </p>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/**
 * A list's table: a header cell per column, then the rows (`<tr>`s) given. With `region`, the
 * table scrolls within a region of that name that takes keyboard focus, so it scrolls by keyboard
 * on a narrow screen (a long, live list); without, it scrolls as part of the page.
 */
export function Table({
  columns,
  region,
  children,
}: {
  columns: string[];
  region?: string;
  children: ReactNode;
}) {
  const table = (
    <table>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  if (!region) return <div className="table-wrap">{table}</div>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard
    <section className="table-wrap" aria-label={region} tabIndex={0}>
      {table}
    </section>
  );
}

/**
 * A select's options: each value its own label, or `label(v)` (and `value(v)` for values that are
 * not strings themselves, such as an endpoint named by its URL).
 */
export function Options<T>({
  values,
  value = String,
  label = String,
}: {
  values: readonly T[];
  value?: (v: T) => string;
  label?: (v: T) => ReactNode;
}) {
  return (
    <>
      {values.map((v) => (
        <option key={value(v)} value={value(v)}>
          {label(v)}
        </option>
      ))}
    </>
  );
}

/** How long a rotated key's replaced secret keeps working (`0`: it ends at once). */
export function GraceSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Rotation grace period
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="0">none</option>
        <option value="1h">1 hour</option>
        <option value="24h">24 hours</option>
        <option value="7d">7 days</option>
      </select>
    </label>
  );
}

export const graceWords = (grace: string) => (grace === '0' ? 'no time at all' : grace);

/**
 * A list's text filters, applied on "Filter": `form` has a field per label (in the labels'
 * order), `filters` holds what was applied and `given` only the non-blank ones, for the query.
 */
export function useFilters<K extends string>(labels: Record<K, string>) {
  const fields = Object.keys(labels) as K[];
  const [draft, setDraft] = useState(
    () => Object.fromEntries(fields.map((f) => [f, ''])) as Record<K, string>,
  );
  const [filters, setFilters] = useState(draft);
  const given = Object.fromEntries(Object.entries<string>(filters).filter(([, v]) => v.trim() !== ''));
  const form = (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setFilters(draft);
      }}
    >
      <div className="fields">
        {fields.map((field) => (
          <label key={field}>
            {labels[field]}
            <input value={draft[field]} onChange={(e) => setDraft({ ...draft, [field]: e.target.value })} />
          </label>
        ))}
        <button type="submit">Filter</button>
      </div>
    </form>
  );
  return { filters, given, form };
}

export const when = (iso: string | null | undefined, never = 'never') =>
  iso ? new Date(iso).toLocaleString() : never;

type Page<T> = { items: T[]; nextCursor: string | null };

/** A paginated list: the first page, then "Load more" with the API's cursor. */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load(undefined).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const more = () =>
    cursor &&
    load(cursor).then(
      (page) => {
        setItems((old) => [...old, ...page.items]);
        setCursor(page.nextCursor);
      },
      (err: unknown) => setError(err),
    );
  return { items, error, loading, reload: () => setTick((t) => t + 1), more, hasMore: cursor !== null };
}

export function MoreButton({ hasMore, more }: { hasMore: boolean; more: () => unknown }) {
  if (!hasMore) return null;
  return (
    <button type="button" className="secondary" onClick={() => more()}>
      Load more
    </button>
  );
}
