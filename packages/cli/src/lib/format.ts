/** Small, dependency-free formatting helpers: tables like gh's (no borders), dates. */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI_RE = /\x1b\[[0-9;]*m/g;

export function visibleWidth(text: string): number {
  return text.replace(ANSI_RE, '').length;
}

/** Aligned columns separated by two spaces; the last column is not padded (no trailing blanks). */
export function table(headers: string[], rows: string[][], header: (s: string) => string = (s) => s): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => visibleWidth(row[col] ?? ''))));
  const line = (row: string[], style: (s: string) => string) =>
    row
      .map((cell, col) => {
        const pad = col === row.length - 1 ? '' : ' '.repeat(widths[col]! - visibleWidth(cell));
        return style(cell) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, header), ...rows.map((row) => line(row, (s) => s))].join('\n');
}

/** `2027-03-22` from an ISO timestamp; `never` for null. */
export function day(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/**
 * `2027-03-22 10:00 UTC` from an ISO timestamp; `never` for null. For expiries and history, where
 * the hour matters (a 1-hour token); always UTC, so it reads the same on every machine and in logs.
 */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** "in 3 days", "2 hours ago": for expiry and last-used columns, rounded to the nearest unit. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return iso;
  const abs = Math.abs(ms);
  const units: [string, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, size] of units) {
    // Rounded, not floored: a 24 h grace period read a second later is "24 hours", not "23 hours".
    if (abs >= size) {
      const n = Math.round(abs / size);
      const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return ms > 0 ? `in ${text}` : `${text} ago`;
    }
  }
  return ms > 0 ? 'in under a minute' : 'just now';
}

/** Indented `key  value` lines with the keys aligned (status output). */
export function keyValues(rows: [string, string][], key: (s: string) => string = (s) => s): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${key(k.padEnd(width))}  ${v}`).join('\n');
}
