import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the built dashboard is: packages/web/dist, seen from the server's dist (the CLI loads the
 * built server) or from its sources (tests, tsx).
 */
export function findWebDist(): string | null {
  const here = import.meta.dirname;
  const candidates = [path.resolve(here, '../../web/dist'), path.resolve(here, '../../../../web/dist')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? null;
}

let stylesheet: string | null | undefined;

/**
 * The dashboard's own stylesheet (`/assets/index-<hash>.css`, served immutable with the rest of
 * its build), which the server-rendered pages link too: one look, and no inline style, so their
 * CSP can be `style-src 'self'`. Read once from the built index.html; null when the dashboard is
 * not built (the pages still work, unstyled).
 */
export function dashboardStylesheet(): string | null {
  if (stylesheet !== undefined) return stylesheet;
  const dist = findWebDist();
  const index = dist ? readFileSync(path.join(dist, 'index.html'), 'utf8') : '';
  stylesheet =
    /<link\b[^>]*\brel="stylesheet"[^>]*\bhref="(\/assets\/[\w.-]+\.css)"/.exec(index)?.[1] ?? null;
  return stylesheet;
}
