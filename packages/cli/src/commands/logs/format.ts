import type { LogEvent } from '@latchkey/core';
import type { Colors } from '../../lib/color.js';

/** `2026-12-07 00:45:01.123`: local-free (UTC), sortable, to the millisecond. */
const time = (iso: string) => iso.replace('T', ' ').replace('Z', '');

/** One event, one line. */
export function formatEvent(e: LogEvent, c: Colors): string {
  const label = e.type.padEnd(12);
  const kind =
    e.type === 'verify'
      ? c.green(label)
      : e.type === 'denied' || e.type === 'rate_limited'
        ? c.red(label)
        : c.dim(label);
  if (e.keyId !== null) {
    const parts = [
      e.keyName ?? e.keyId,
      c.dim(`(${e.keyId})`),
      e.route ?? '-',
      e.outcome ?? '',
      e.latencyMs === null ? '' : `${e.latencyMs.toFixed(1)} ms`,
      e.count > 1 ? `×${e.count}` : '',
      e.clientAddr ? c.dim(`from ${e.clientAddr}`) : '',
    ];
    return `${time(e.at)}  ${kind} ${parts.filter(Boolean).join('  ')}`;
  }
  if (e.type === 'delivery') {
    const parts = [
      e.action ?? '',
      e.outcome === 'delivered' ? c.green(e.outcome) : c.red(e.outcome ?? ''),
      e.detail ?? '',
      e.latencyMs === null ? '' : `${e.latencyMs.toFixed(0)} ms`,
      e.target ? c.dim(e.target) : '',
    ];
    return `${time(e.at)}  ${kind} ${parts.filter(Boolean).join('  ')}`;
  }
  const parts = [e.action ?? '', e.detail ?? '', e.actor ? c.dim(`by ${e.actor}`) : ''];
  return `${time(e.at)}  ${kind} ${parts.filter(Boolean).join('  ')}`;
}
