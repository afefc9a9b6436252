import { statusTone } from '@latchkey/core';
import type { Colors } from './color.js';
import { relative } from './format.js';

/** A credential's status for tables: live ones green, ones needing attention yellow or red, dead ones dim. */
export function statusText(c: Colors, status: string, rotatingUntil?: string | null): string {
  const text =
    status === 'rotating' && rotatingUntil ? `rotating (old secret ends ${relative(rotatingUntil)})` : status;
  const tone = statusTone(status);
  if (tone === 'ok') return c.green(text);
  if (tone === 'attention') return c.yellow(text);
  if (tone === 'broken') return c.red(text);
  return c.dim(text);
}
