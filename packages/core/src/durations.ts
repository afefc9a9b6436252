export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const UNIT_MS = { s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY } as const;
const DURATION_RE = /^(\d{1,6})(s|m|h|d|w)?$/;

/**
 * Parses `90d`, `12h`, `30m`, `45s`, `2w`, or a bare day count (`30` = 30 days) into milliseconds.
 * Returns null for anything else so callers can phrase their own error.
 */
export function parseDuration(input: string | number): number | null {
  const text = String(input).trim().toLowerCase();
  const match = DURATION_RE.exec(text);
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'd') as keyof typeof UNIT_MS;
  return amount * UNIT_MS[unit];
}

export type DurationBounds = { min: number; max: number };

/** Parses and range-checks; the error string names the rule so a CLI or API can show it as is. */
export function parseBoundedDuration(
  input: string | number,
  bounds: DurationBounds,
): { ok: true; ms: number } | { ok: false; error: string } {
  const ms = parseDuration(input);
  if (ms === null) {
    return {
      ok: false,
      error: `"${input}" is not a duration: use e.g. 90d, 12h, 30m, or a day count like 30`,
    };
  }
  if (ms < bounds.min || ms > bounds.max) {
    return {
      ok: false,
      error: `must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)}`,
    };
  }
  return { ok: true, ms };
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', MINUTE],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
