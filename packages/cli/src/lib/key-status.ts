import type { Colors } from './color.js';
import { relative } from './format.js';

/** A key's status for tables: live ones green, ones needing attention yellow or red, dead ones dim. */
export function statusText(c: Colors, status: string, rotatingUntil?: string | null): string {
  if (status === 'active') return c.green(status);
  if (status === 'rotating')
    return c.yellow(rotatingUntil ? `rotating (old secret ends ${relative(rotatingUntil)})` : status);
  if (status === 'expiring') return c.yellow(status);
  if (status === 'suspended') return c.red(status);
  return c.dim(status);
}
