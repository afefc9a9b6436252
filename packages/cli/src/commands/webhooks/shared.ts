import { WEBHOOK_EVENTS, type WebhookEndpoint } from '@latchkey/core';
import { usageError } from '../../lib/exit.js';
import { keyValues, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

/** `a,b` or repeated flags into event names, each checked against the catalogue. */
export function parseEvents(value: string | undefined, example: string): string[] | undefined {
  if (value === undefined) return undefined;
  const events = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (events.length === 0 || unknown.length) {
    throw usageError(
      unknown.length
        ? `Unknown event${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`
        : 'Give at least one event.',
      `Events: ${WEBHOOK_EVENTS.join(', ')}. Example: ${example}`,
    );
  }
  return events;
}

export function describeEndpoint(io: Io, e: WebhookEndpoint): string {
  return keyValues(
    [
      ['id', e.id],
      ['url', e.url],
      ['events', e.events.join(', ')],
      ['enabled', e.enabled ? 'yes' : `no${e.disabledReason ? ` (${e.disabledReason})` : ''}`],
      ...(e.failingSince ? ([['failing since', relative(e.failingSince)]] as [string, string][]) : []),
      ...(e.previousSecretExpiresAt
        ? ([['old secret signs until', e.previousSecretExpiresAt]] as [string, string][])
        : []),
    ],
    io.out.dim,
  );
}
