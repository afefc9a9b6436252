import { useState } from 'react';
import type { ReleaseComparison } from '../../../core/src/contract/releases.js';
import { api, endpoints } from '../api.js';
import { ErrorBox, useAction } from '../ui.js';

type Where = { org: string; project: string; env: string };

/**
 * What changed between any two releases of the environment (`latch releases diff`): secret names
 * and versions, scopes and routes; never a value.
 */
export function ReleaseDiff({ numbers, ...where }: Where & { numbers: number[] }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const action = useAction();
  const [result, setResult] = useState<ReleaseComparison | null>(null);
  if (numbers.length < 2) return null;
  const fromValue = from || String(numbers[1]);
  const toValue = to || String(numbers[0]);
  const choose = (label: string, value: string, set: (v: string) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.target.value)}>
        {numbers.map((n) => (
          <option key={n} value={String(n)}>
            v{n}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="panel">
      <h3>Compare two releases</h3>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await action.run(async () =>
            setResult(
              await api.call(endpoints.releases.diff, {
                params: where,
                query: { from: fromValue, to: toValue },
              }),
            ),
          );
        }}
      >
        <div className="fields">
          {choose('From release', fromValue, setFrom)}
          {choose('To release', toValue, setTo)}
          <button type="submit" disabled={action.busy}>
            Compare
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} />
      {result ? <DiffView result={result} /> : null}
    </div>
  );
}

function DiffView({ result }: { result: ReleaseComparison }) {
  const { diff } = result;
  if (diff.empty)
    return (
      <p role="status">
        v{result.from} and v{result.to} are identical.
      </p>
    );
  const lines: { kind: 'added' | 'changed' | 'removed'; text: string }[] = [
    ...diff.secrets.added.map((s) => ({ kind: 'added' as const, text: `secret ${s.name} (v${s.version})` })),
    ...diff.secrets.changed.map((s) => ({
      kind: 'changed' as const,
      text: `secret ${s.name} (v${s.from} → v${s.to})`,
    })),
    ...diff.secrets.removed.map((s) => ({
      kind: 'removed' as const,
      text: `secret ${s.name} (v${s.version})`,
    })),
    ...diff.scopes.added.map((s) => ({ kind: 'added' as const, text: `scope ${s}` })),
    ...diff.scopes.changed.map((s) => ({ kind: 'changed' as const, text: `scope ${s}` })),
    ...diff.scopes.removed.map((s) => ({ kind: 'removed' as const, text: `scope ${s}` })),
    ...diff.routes.added.map((r) => ({
      kind: 'added' as const,
      text: `route ${r.method} ${r.path} (${r.auth})`,
    })),
    ...diff.routes.changed.map((r) => ({
      kind: 'changed' as const,
      text: `route ${r.method} ${r.path}: ${r.changes.map((c) => `${c.field} ${c.from ?? '—'} → ${c.to ?? '—'}`).join(', ')}`,
    })),
    ...diff.routes.removed.map((r) => ({ kind: 'removed' as const, text: `route ${r.method} ${r.path}` })),
  ];
  return (
    <section aria-label={`Changes from v${result.from} to v${result.to}`} className="panel">
      <p role="status">
        From v{result.from} to v{result.to}: {lines.length} change{lines.length === 1 ? '' : 's'}.
      </p>
      <ul className="plain">
        {lines.map((l) => (
          <li key={`${l.kind} ${l.text}`}>
            <strong>{l.kind}</strong> {l.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
