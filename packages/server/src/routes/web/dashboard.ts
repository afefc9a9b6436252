import { readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { RouteModule } from '../../app.js';
import { sessionCsrfToken } from '../../http/csrf.js';
import { sessionSecretOf } from '../../http/session-auth.js';
import { escapeHtml } from './html.js';
import { findWebDist } from './web-dist.js';

export { findWebDist };

/**
 * The dashboard (packages/web, a React app built by Vite) at `/`. Its HTML is answered per request
 * (`no-store`), with the session's CSRF token in a <meta> tag that the app sends on every API call
 * (http/session-auth.ts); the hashed assets under /assets/ never change, so browsers keep them a
 * year. The CSP allows scripts and styles from this origin only: no inline script, no eval.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HTML_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

const META_MARK = '<meta name="latch-csrf" content="">';

function notBuilt(reply: FastifyReply) {
  return reply
    .code(503)
    .headers(HTML_HEADERS)
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard not built · Latchkey</title></head>' +
        '<body><main><h1>The dashboard is not built</h1><p>Run <code>npm run build --workspace=packages/web</code> ' +
        '(or <code>npm start</code>, which builds it), then reload.</p></main></body></html>',
    );
}

export const dashboardRoutes: RouteModule = async (app, { services, config }) => {
  const dist = findWebDist();
  // Read once: the build does not change under a running server.
  const template = dist ? readFileSync(path.join(dist, 'index.html'), 'utf8') : null;
  if (template !== null && !template.includes(META_MARK)) {
    throw new Error(`The dashboard's index.html (${dist}) lacks ${META_MARK}: rebuild packages/web.`);
  }

  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    scope.get('/', async (req, reply) => {
      const secret = sessionSecretOf(req, config.secureCookies);
      const user = await services.identity.sessionUser(secret);
      if (!user || !secret) {
        return reply.headers({ 'Cache-Control': 'no-store' }).redirect('/login?next=%2F', 302);
      }
      if (template === null) return notBuilt(reply);
      const page = template.replace(
        META_MARK,
        `<meta name="latch-csrf" content="${escapeHtml(sessionCsrfToken(secret))}">`,
      );
      return reply.code(200).headers(HTML_HEADERS).type('text/html; charset=utf-8').send(page);
    });
    if (dist) {
      await scope.register(fastifyStatic, {
        root: path.join(dist, 'assets'),
        prefix: '/assets/',
        // Vite names every asset by its content hash: a changed file is a new URL.
        immutable: true,
        maxAge: 365 * 24 * 3600 * 1000,
        index: false,
        list: false,
        setHeaders: (res) => {
          res.setHeader('X-Content-Type-Options', 'nosniff');
        },
      });
    }
  });
};
