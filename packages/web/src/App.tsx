import { lazy, Suspense, useEffect, useState } from 'react';
import { api, csrfToken, endpoints } from './api.js';
import { heldIn, type PermissionSet } from './held.js';
import { AccessLogPage } from './pages/AccessLog.js';
import { AccountPage } from './pages/Account.js';
import { AuditPage } from './pages/Audit.js';
import { EffectPage, EffectsPage } from './pages/Effects.js';
import { EnvironmentPage } from './pages/Environment.js';
import { HygienePage } from './pages/Hygiene.js';
import { KeysPage } from './pages/Keys.js';
import { MembersPage } from './pages/Members.js';
import { MatrixPage, ProjectsPage } from './pages/Projects.js';
import { WebhooksPage } from './pages/Webhooks.js';
import { href, useFocusOnNavigation, useRoute } from './router.js';
import { ErrorBox, useLoad } from './ui.js';

// The live logs page (and its stream parser) loads when first opened: not in the first page's JS.
const LogsPage = lazy(() => import('./pages/Logs.js').then((m) => ({ default: m.LogsPage })));

export function App() {
  const route = useRoute();
  useFocusOnNavigation(route);
  const me = useLoad(() => api.call(endpoints.me.get), []);
  const org = route[0] === 'orgs' ? route[1] : undefined;
  // Again when the org in the address changes: it may be one made since (from the CLI).
  const orgs = useLoad(() => api.all(endpoints.orgs.list), [org]);
  const current = org ?? orgs.data?.find((o) => !o.personal)?.name ?? orgs.data?.[0]?.name;
  // What the signed-in person holds in the org on screen: forms offer no more than that.
  const role = orgs.data?.find((o) => o.name.toLowerCase() === current?.toLowerCase())?.role;
  const held = me.data ? heldIn(role, me.data.token.scopes) : null;
  return (
    <>
      {/* A button, not a `#main` link: the address's hash is the route, so following the link
          would open a page called "main". */}
      <button type="button" className="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <span className="brand">Latchkey</span>
        <nav aria-label="Main">
          {current ? (
            <>
              <a href={href('orgs', current, 'projects')}>Projects</a>
              <a href={href('orgs', current, 'members')}>Members</a>
              <a href={href('orgs', current, 'keys')}>Keys</a>
              <a href={href('orgs', current, 'hygiene')}>Credential hygiene</a>
              <a href={href('orgs', current, 'webhooks')}>Webhooks</a>
              <a href={href('orgs', current, 'effects')}>Effects</a>
              <a href={href('orgs', current, 'audit')}>Audit log</a>
            </>
          ) : null}
          <a href={href('account')}>Account</a>
        </nav>
        <OrgSwitch current={current} orgs={orgs.data ?? []} />
        <form method="post" action="/logout" className="signout">
          <input type="hidden" name="csrf" value={csrfToken()} />
          <span className="muted">{me.data?.user?.email}</span>
          <button type="submit" className="secondary">
            Sign out
          </button>
        </form>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBox error={me.error ?? orgs.error} />
        <Page route={route} org={current} held={held} />
      </main>
    </>
  );
}

/**
 * The org switcher opens the picked org only on an explicit choice (the Switch button, or Enter):
 * a <select> changes value on every arrow key, which would leave each org in passing.
 */
function OrgSwitch({
  current,
  orgs,
}: {
  current: string | undefined;
  orgs: { id: string; name: string; personal: boolean }[];
}) {
  const [choice, setChoice] = useState(current ?? '');
  useEffect(() => setChoice(current ?? ''), [current]);
  return (
    <form
      className="org-switch"
      onSubmit={(e) => {
        e.preventDefault();
        if (choice && choice !== current) window.location.assign(href('orgs', choice, 'projects'));
      }}
    >
      <label>
        <span>Org</span>
        {/* Named outright: a wrapping label's name would take in the picked option's text. */}
        <select
          aria-label="Org"
          value={choice}
          onChange={(e) => setChoice(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.form?.requestSubmit();
          }}
        >
          {orgs.map((o) => (
            <option key={o.id} value={o.name}>
              {o.name}
              {o.personal ? ' (personal)' : ''}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="secondary" disabled={!choice || choice === current}>
        Switch
      </button>
    </form>
  );
}

function Page({
  route,
  org,
  held,
}: {
  route: string[];
  org: string | undefined;
  held: PermissionSet | null;
}) {
  const [first, , section, project, sub, env, tab] = route;
  // The start page is the account: every signed-in person has one, whatever their orgs.
  if (first !== 'orgs' || !org) return <AccountPage />;
  if (first === 'orgs' && section === 'members') return <MembersPage org={org} />;
  if (first === 'orgs' && section === 'keys') return <KeysPage org={org} held={held} />;
  if (first === 'orgs' && section === 'hygiene') return <HygienePage org={org} />;
  if (first === 'orgs' && section === 'access-log') return <AccessLogPage org={org} />;
  if (first === 'orgs' && section === 'audit') return <AuditPage org={org} />;
  if (first === 'orgs' && section === 'projects' && project && sub === 'env' && env && tab === 'logs')
    return (
      <Suspense fallback={<p className="muted">Loading the logs page…</p>}>
        <LogsPage key={`${org}/${project}/${env}`} org={org} project={project} env={env} />
      </Suspense>
    );
  if (first === 'orgs' && section === 'webhooks') return <WebhooksPage org={org} held={held} />;
  // `#/orgs/acme/effects/eff_…`: one effect and its attempts.
  if (first === 'orgs' && section === 'effects' && project)
    return <EffectPage org={org} id={project} held={held} />;
  if (first === 'orgs' && section === 'effects') return <EffectsPage org={org} held={held} />;
  if (first === 'orgs' && section === 'projects' && project && sub === 'env' && env)
    return <EnvironmentPage org={org} project={project} env={env} held={held} />;
  if (first === 'orgs' && section === 'projects' && project && sub === 'matrix')
    return <MatrixPage org={org} project={project} />;
  return <ProjectsPage org={org} />;
}
