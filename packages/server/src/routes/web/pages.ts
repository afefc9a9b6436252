import { CSRF_FIELD } from '../../http/csrf.js';
import type { AuthorizationRequest } from '../../services/oauth/code-flow.js';
import type { PendingDevice } from '../../services/oauth/device-flow.js';
import { type Html, html, layout } from './html.js';

const csrfField = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
const hidden = (name: string, value: string | null) =>
  value === null ? '' : html`<input type="hidden" name="${name}" value="${value}">`;
const errorLine = (error: string | null | undefined) =>
  error ? html`<p class="error" role="alert">${error}</p>` : '';

export function messagePage(opts: {
  title: string;
  message: string;
  hint?: string | null;
  code?: string | null;
}): Html {
  return layout(
    opts.title,
    html`<h1>${opts.title}</h1><p>${opts.message}</p>
${opts.hint ? html`<p class="muted">${opts.hint}</p>` : ''}
${opts.code ? html`<p class="muted">Error code: <code>${opts.code}</code></p>` : ''}`,
  );
}

export function loginPage(opts: {
  csrf: string;
  next: string | null;
  email: string;
  error: string | null;
  devMode: boolean;
  /** A mail server is configured, so a reset link can be emailed. */
  forgotPassword?: boolean;
  /** The "Sign in with SSO" button, when an upstream OIDC provider is set up. */
  sso?: boolean;
}): Html {
  // A link, not a form: the answer redirects to the provider, which form-action would refuse.
  const sso = opts.sso
    ? html`<p><a class="button" href="${opts.next ? `/sso/start?next=${encodeURIComponent(opts.next)}` : '/sso/start'}">Sign in with SSO</a></p><hr>`
    : '';
  const dev = opts.devMode
    ? html`<form method="post" action="/login">${csrfField(opts.csrf)}${hidden('next', opts.next)}
<input type="hidden" name="method" value="dev">
<label for="dev-email">Dev sign-in: any email, no password</label>
<input id="dev-email" type="email" name="email" value="${opts.email}" autocomplete="email" required>
<button type="submit">Dev sign-in</button>
<p class="muted">Only on a <code>latch dev</code> server.</p></form><hr>`
    : '';
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>${errorLine(opts.error)}${sso}${dev}
<form method="post" action="/login">${csrfField(opts.csrf)}${hidden('next', opts.next)}
<input type="hidden" name="method" value="password">
<label for="email">Email</label>
<input id="email" type="email" name="email" value="${opts.email}" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
${opts.forgotPassword ? html`<p class="muted"><a href="/reset-password">Forgot your password?</a></p>` : ''}`,
  );
}

export function signedInPage(opts: { csrf: string; email: string }): Html {
  return layout(
    'Signed in',
    html`<h1>Signed in</h1><p>You are signed in as <strong>${opts.email}</strong>.</p>
<p><a class="button" href="/">Open the dashboard</a></p>
<p class="muted">In a terminal, run <code>latch login</code> to use the CLI.</p>
<form method="post" action="/logout">${csrfField(opts.csrf)}<button class="secondary" type="submit">Sign out</button></form>`,
  );
}

export function setupPage(opts: { csrf: string; token: string; email: string; error: string | null }): Html {
  return layout(
    'Set up Latchkey',
    html`<h1>Create the first owner</h1>
<p>This server has no users yet. The account you create here owns it.</p>${errorLine(opts.error)}
<form method="post" action="/setup">${csrfField(opts.csrf)}${hidden('token', opts.token)}
<label for="email">Email</label>
<input id="email" type="email" name="email" value="${opts.email}" autocomplete="username" required>
<label for="password">Password (at least 12 characters)</label>
<input id="password" type="password" name="password" autocomplete="new-password" minlength="12" required>
<label for="confirm">Repeat the password</label>
<input id="confirm" type="password" name="confirm" autocomplete="new-password" minlength="12" required>
<button type="submit">Create owner account</button></form>`,
  );
}

/** The CLI signs in to http://127.0.0.1:7420 unless told otherwise: name this server when it is another. */
export function loginCommand(publicUrl: string): string {
  return publicUrl === 'http://127.0.0.1:7420' ? 'latch login' : `latch login --api-url ${publicUrl}`;
}

export function setupDonePage(opts: { email: string; publicUrl: string }): Html {
  return layout(
    'Setup complete',
    html`<h1>Setup complete</h1><p>You are signed in as <strong>${opts.email}</strong>, the owner of this server.</p>
<p class="muted">Next, in a terminal: <code>${loginCommand(opts.publicUrl)}</code>.</p>`,
  );
}

export function deviceEntryPage(opts: {
  csrf: string;
  userCode: string;
  error: string | null;
  email: string;
}): Html {
  return layout(
    'Connect a device',
    html`<h1>Connect a device</h1>
<p>Enter the code shown in your terminal. You are signed in as <strong>${opts.email}</strong>.</p>${errorLine(opts.error)}
<form method="post" action="/device">${csrfField(opts.csrf)}
<label for="user_code">Code</label>
<input id="user_code" type="text" name="user_code" value="${opts.userCode}" placeholder="XXXX-XXXX"
 autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required>
<button type="submit">Continue</button></form>`,
  );
}

export function deviceConfirmPage(opts: { csrf: string; device: PendingDevice; email: string }): Html {
  const { device } = opts;
  return layout(
    'Approve device',
    html`<h1>Approve this device?</h1>
<p><strong>${device.clientName}</strong> on the machine <strong>${device.deviceName}</strong> asks to sign in as
<strong>${opts.email}</strong>.</p>
<p>Check that this code matches the one in your terminal:</p><p class="code">${device.userCode}</p>
<p class="muted">Approving gives that machine a personal access token that can do everything you can, for 120 days.
Only approve if you started <code>latch login</code> yourself.</p>
<form method="post" action="/device/approve">${csrfField(opts.csrf)}${hidden('user_code', device.userCode)}
<div class="row"><button type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button></div></form>`,
  );
}

export function deviceDonePage(opts: { approved: boolean; deviceName: string }): Html {
  return opts.approved
    ? messagePage({
        title: 'Device approved',
        message: `${opts.deviceName} is signed in. Return to your terminal.`,
        hint: 'You can close this tab.',
      })
    : messagePage({
        title: 'Request denied',
        message: `${opts.deviceName} was not signed in.`,
        hint: 'If you did not start this sign-in, someone may have sent you the code: do not approve it.',
      });
}

export function consentPage(opts: { csrf: string; request: AuthorizationRequest; email: string }): Html {
  const r = opts.request;
  return layout(
    'Authorize',
    html`<h1>Sign in to ${r.client.name}?</h1>
<p><strong>${r.client.name}</strong> on the machine <strong>${r.deviceName}</strong> asks to sign in as
<strong>${opts.email}</strong>.</p>
<p class="muted">Approving gives it a personal access token that can do everything you can, for 120 days.
Only approve if you just ran <code>latch login</code>.</p>
<form method="post" action="/oauth/authorize">${csrfField(opts.csrf)}
${hidden('client_id', r.client.id)}${hidden('redirect_uri', r.redirectUri)}${hidden('response_type', 'code')}
${hidden('code_challenge', r.codeChallenge)}${hidden('code_challenge_method', 'S256')}
${hidden('state', r.state)}${hidden('device_name', r.deviceName)}
<div class="row"><button type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button></div></form>`,
  );
}

/** The way back to the CLI when the browser may not be redirected there (an `[::1]` listener). */
export function returnToCliPage(opts: { location: string; approved: boolean }): Html {
  return layout(
    opts.approved ? 'Approved' : 'Not approved',
    html`<h1>${opts.approved ? 'Approved' : 'Not approved'}</h1>
<p>${opts.approved ? 'Finish signing in: hand the answer back to your terminal.' : 'Tell your terminal that the sign-in did not go ahead.'}</p>
<p><a class="button" href="${opts.location}">Return to the CLI</a></p>
<p class="muted">Then you can close this tab.</p>`,
  );
}
