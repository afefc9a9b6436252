/** Small, dependency-free formatting helpers: tables like gh's (no borders), dates. */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI_RE = /\x1b\[[0-9;]*m/g;

export function visibleWidth(text: string): number {
  return text.replace(ANSI_RE, '').length;
}

/**
 * Aligned columns separated by two spaces; the last column is not padded (no trailing blanks).
 * With `maxWidth` (the terminal's width) the widest columns give way until the table fits: a cell
 * that no longer fits is cut after its last whole word and ends in `…`. A word is never cut, so a
 * column of ids keeps its width; `--wide` (no `maxWidth`) shows everything.
 */
export function table(
  headers: string[],
  rows: string[][],
  header: (s: string) => string = (s) => s,
  maxWidth?: number,
): string {
  const all = [headers, ...rows];
  const natural = headers.map((_, col) => Math.max(...all.map((row) => visibleWidth(row[col] ?? ''))));
  const widths = maxWidth === undefined ? natural : fitWidths(natural, all, maxWidth);
  const line = (row: string[], style: (s: string) => string) =>
    row
      .map((raw, col) => {
        const cell = truncateWords(raw, widths[col]!);
        const pad = col === row.length - 1 ? '' : ' '.repeat(Math.max(0, widths[col]! - visibleWidth(cell)));
        return style(cell) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, header), ...rows.map((row) => line(row, (s) => s))].join('\n');
}

/** The narrowest a column may get: its header, and each cell's first word (plus `…` if more follow). */
function minWidth(all: string[][], col: number): number {
  return Math.max(
    ...all.map((row, i) => {
      const words = (row[col] ?? '').replace(ANSI_RE, '').split(' ');
      if (i === 0) return visibleWidth(row[col] ?? '');
      return words[0]!.length + (words.length > 1 ? 1 : 0);
    }),
  );
}

function fitWidths(natural: number[], all: string[][], maxWidth: number): number[] {
  const widths = [...natural];
  const mins = natural.map((_, col) => Math.min(natural[col]!, minWidth(all, col)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    widths.forEach((w, col) => {
      if (w > mins[col]! && (widest === -1 || w > widths[widest]!)) widest = col;
    });
    if (widest === -1) break;
    widths[widest]! -= 1;
  }
  return widths;
}

/** `text` if it fits in `width`, else its leading whole words and `…` (styles dropped). */
export function truncateWords(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  const words = text.replace(ANSI_RE, '').split(' ');
  let out = words[0]!;
  for (const word of words.slice(1)) {
    if (out.length + 1 + word.length + 1 > width) break;
    out += ` ${word}`;
  }
  return `${out}…`;
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
