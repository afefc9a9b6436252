import type { Invitation } from '@latchkey/core';
import { CSRF_FIELD } from '../../http/csrf.js';
import { PASSWORD_MIN_LENGTH } from '../../services/identity/passwords.js';
import { withArticle } from '../../services/members/authority.js';
import { type Html, html, layout } from './html.js';
import { messagePage } from './pages.js';

const csrfField = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
const errorLine = (error: string | null | undefined) =>
  error ? html`<p class="error" role="alert">${error}</p>` : '';

const passwordFields = (
  label: string,
) => html`<label for="password">${label} (at least ${PASSWORD_MIN_LENGTH} characters)</label>
<input id="password" type="password" name="password" autocomplete="new-password" minlength="${PASSWORD_MIN_LENGTH}" required>
<label for="confirm">Repeat the password</label>
<input id="confirm" type="password" name="confirm" autocomplete="new-password" minlength="${PASSWORD_MIN_LENGTH}" required>`;

function invitedTo(inv: Invitation): Html {
  return html`<p>${inv.invitedBy ? html`<strong>${inv.invitedBy}</strong> invited` : 'You are invited:'}
<strong>${inv.email}</strong> to join <strong>${inv.org.name}</strong> as ${withArticle(inv.role)}.</p>`;
}

export type InvitePageMode =
  | { kind: 'signup'; name: string; ssoStart: string | null }
  | { kind: 'signin'; loginUrl: string }
  | { kind: 'accept'; email: string }
  | { kind: 'mismatch'; email: string };

/** The page behind an invitation link, for each kind of visitor. */
export function invitePage(opts: {
  csrf: string;
  action: string;
  invitation: Invitation;
  mode: InvitePageMode;
  error: string | null;
}): Html {
  const { invitation: inv, mode } = opts;
  const title = `Join ${inv.org.name}`;
  let body: Html;
  switch (mode.kind) {
    case 'signup':
      body = html`<p>Create your account to accept. Your email is the one you were invited with.</p>
<form method="post" action="${opts.action}">${csrfField(opts.csrf)}<input type="hidden" name="intent" value="signup">
<label for="email">Email</label>
<input id="email" type="email" value="${inv.email}" autocomplete="username" readonly>
<label for="name">Your name</label>
<input id="name" type="text" name="name" value="${mode.name}" autocomplete="name" maxlength="100" required>
${passwordFields('Password')}
<button type="submit">Create account and join</button></form>
${mode.ssoStart ? html`<hr><p><a href="${mode.ssoStart}">Sign in with SSO</a> instead, with your company account for ${inv.email}.</p>` : ''}`;
      break;
    case 'signin':
      body = html`<p>There is already an account for <strong>${inv.email}</strong>.</p>
<p><a href="${mode.loginUrl}">Sign in to accept the invitation</a></p>`;
      break;
    case 'accept':
      body = html`<p>You are signed in as <strong>${mode.email}</strong>.</p>
<form method="post" action="${opts.action}">${csrfField(opts.csrf)}<input type="hidden" name="intent" value="accept">
<button type="submit">Join ${inv.org.name}</button></form>`;
      break;
    case 'mismatch':
      body = html`<p class="error">This invitation is for <strong>${inv.email}</strong>, and you are signed in as
<strong>${mode.email}</strong>.</p>
<p class="muted">Sign out, then open the invitation link again and sign in as ${inv.email}.</p>
<form method="post" action="/logout">${csrfField(opts.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
      break;
  }
  return layout(title, html`<h1>${title}</h1>${invitedTo(inv)}${errorLine(opts.error)}${body}`);
}

/** Expired, used, declined or revoked: what happened, and what to do instead. */
export function inviteClosedPage(inv: Invitation, state: Invitation['status']): Html {
  const titles: Record<string, string> = {
    expired: 'Invitation expired',
    accepted: 'Invitation already used',
    declined: 'Invitation declined',
    revoked: 'Invitation revoked',
  };
  const messages: Record<string, string> = {
    expired: `This invitation to ${inv.org.name} expired on ${inv.expiresAt.slice(0, 10)}.`,
    accepted: `This invitation to ${inv.org.name} was already used: an invitation link works only once.`,
    declined: `This invitation to ${inv.org.name} was declined.`,
    revoked: `This invitation to ${inv.org.name} was revoked by an owner or admin of the org.`,
  };
  return messagePage({
    title: titles[state] ?? 'Invitation not valid',
    message: messages[state] ?? 'This invitation can no longer be used.',
    hint:
      state === 'accepted'
        ? 'If you used it, sign in at /login. Otherwise ask an owner or admin for a new invitation.'
        : `Ask an owner or admin of ${inv.org.name} to invite you again.`,
  });
}

export function joinedPage(opts: { orgName: string; role: string; email: string; publicUrl: string }): Html {
  return layout(
    `Joined ${opts.orgName}`,
    html`<h1>Welcome to ${opts.orgName}</h1>
<p>You are signed in as <strong>${opts.email}</strong> and joined <strong>${opts.orgName}</strong> as ${withArticle(opts.role as Invitation['role'])}.</p>
<p class="muted">To use the CLI, run <code>latch login --api-url ${opts.publicUrl}</code> in a terminal.</p>`,
  );
}

export function forgotPasswordPage(opts: { csrf: string; email: string; error: string | null }): Html {
  return layout(
    'Reset your password',
    html`<h1>Reset your password</h1>
<p>Enter the email of your account. We send a link to choose a new password.</p>${errorLine(opts.error)}
<form method="post" action="/reset-password">${csrfField(opts.csrf)}
<label for="email">Email</label>
<input id="email" type="email" name="email" value="${opts.email}" autocomplete="username" required>
<button type="submit">Send the link</button></form>`,
  );
}

export function resetPasswordPage(opts: {
  csrf: string;
  action: string;
  email: string;
  error: string | null;
}): Html {
  return layout(
    'Choose a new password',
    html`<h1>Choose a new password</h1><p>For <strong>${opts.email}</strong>.</p>${errorLine(opts.error)}
<form method="post" action="${opts.action}">${csrfField(opts.csrf)}
${passwordFields('New password')}
<button type="submit">Set the password</button></form>
<p class="muted">Every browser signed in to this account is signed out.</p>`,
  );
}
