import type { FastifyInstance } from 'fastify';

/**
 * A minimal browser for the server-rendered pages: keeps cookies, posts forms, reads hidden
 * fields. It talks either to app.inject() or, for the third-party client test, to a real socket.
 */
export type Response = {
  status: number;
  location: string | null;
  body: string;
  headers: Record<string, string>;
};
type Request = { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string };
let browsers = 0;
type Transport = (req: Request) => Promise<Response & { setCookies: string[] }>;

export class Browser {
  readonly cookies = new Map<string, string>();
  extraHeaders: Record<string, string> = {};
  constructor(private readonly transport: Transport) {}

  /** Each browser gets its own address unless told: per-IP limits then apply per person, as in life. */
  static inject(app: FastifyInstance, opts: { ip?: string } = {}): Browser {
    const ip = opts.ip ?? `10.${(++browsers >> 16) & 255}.${(browsers >> 8) & 255}.${browsers & 255}`;
    return new Browser(async (req) => {
      const res = await app.inject({
        method: req.method,
        url: req.url,
        headers: req.headers,
        ...(req.body !== undefined ? { payload: req.body } : {}),
        remoteAddress: ip,
      });
      const raw = res.headers['set-cookie'];
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
      return {
        status: res.statusCode,
        location: typeof res.headers.location === 'string' ? res.headers.location : null,
        body: res.body,
        headers,
        setCookies: raw === undefined ? [] : ([] as string[]).concat(raw),
      };
    });
  }

  static fetch(baseUrl: string): Browser {
    return new Browser(async (req) => {
      const res = await fetch(new URL(req.url, baseUrl), {
        method: req.method,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        redirect: 'manual',
      });
      return {
        status: res.status,
        location: res.headers.get('location'),
        body: await res.text(),
        headers: Object.fromEntries(res.headers.entries()),
        setCookies: res.headers.getSetCookie(),
      };
    });
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private async send(req: Request): Promise<Response> {
    const res = await this.transport({
      ...req,
      headers: { ...this.extraHeaders, ...this.cookieHeader(), ...req.headers },
    });
    for (const line of res.setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const { setCookies: _, ...rest } = res;
    return rest;
  }

  get(url: string): Promise<Response> {
    return this.send({ method: 'GET', url, headers: {} });
  }

  post(url: string, form: Record<string, string>): Promise<Response> {
    return this.send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Submits the page's form (the first one whose action is `action`) with its prefilled fields. */
  submit(page: Response, action: string, fields: Record<string, string> = {}): Promise<Response> {
    return this.post(action, { ...hiddenFields(page.body, action), ...fields });
  }
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};
const decodeEntities = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!);

/** The prefilled inputs (hidden ones included) of the first form posting to `action`, as a browser sends them. */
export function hiddenFields(body: string, action: string): Record<string, string> {
  const start = body.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form posting to ${action} in:\n${body}`);
  const form = body.slice(start, body.indexOf('</form>', start));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input[^>]*\sname="([^"]+)"[^>]*\svalue="([^"]*)"/g))
    out[decodeEntities(m[1]!)] = decodeEntities(m[2]!);
  return out;
}

/** Dev sign-in through the real pages; ends on whatever `next` leads to. */
export async function devSignIn(browser: Browser, email: string, next?: string): Promise<Response> {
  const page = await browser.get(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  return browser.submit(page, '/login', { email });
}

export async function passwordSignIn(browser: Browser, email: string, password: string): Promise<Response> {
  const page = await browser.get('/login');
  const fields = hiddenFields(page.body.slice(page.body.lastIndexOf('<form')), '/login');
  return browser.post('/login', { ...fields, method: 'password', email, password });
}
