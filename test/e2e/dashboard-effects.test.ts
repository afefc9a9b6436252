import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../../packages/server/test/helpers/webhook-receiver.js';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { apiIn, devSignIn, okIn, signedInAtAcmeShop } from './helpers/dashboard-checks.js';
import { waitFor } from './helpers/latch.js';
import { checkPage, SLOW, tabTo } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// Issue 14's effects and webhooks pages in a real Chromium against a real `latch dev`: a webhook
// endpoint made from the dashboard to a local receiver (which checks every signature with the
// third-party `standardwebhooks` package), its secret shown once, a signed ping; a receiver that
// fails, the failure on the effects page, a retry once it recovers, a cancel, and a replay.
let server: RunningServer;
let browser: RealBrowser;
let page: Page;
let complaints: string[];
let rx: Awaited<ReturnType<typeof startReceiver>>;
let hookUrl = '';
const secrets: string[] = [];

type EffectJson = { id: string; messageId: string; state: string; endpointId: string | null };

const ok = (method: string, path: string, body?: unknown) => okIn(page, method, path, body);
const effects = async (query = '') =>
  ((await ok('GET', `/api/v1/orgs/Acme/effects?limit=100${query}`)).items as EffectJson[]) ?? [];

/**
 * Opens a dashboard page afresh: going to the address already shown would only be a same-document
 * hash navigation, keeping the page's state (filters, a ping's result) from before.
 */
async function visit(hash: string) {
  const target = `${server.url}/#${hash}`;
  if (page.url() === target) await page.reload();
  else await page.goto(target);
}

async function shownOnce(): Promise<string> {
  const token = (await page.getByTestId('shown-once-token').textContent()) ?? '';
  await page.getByRole('button', { name: 'Done, hide it' }).click();
  expect(await page.content()).not.toContain(token);
  return token;
}

const hookRow = () => page.getByRole('row').filter({ hasText: hookUrl });

/** Clicks a row's destructive button, checks the confirmation names the thing, and confirms. */
async function confirmIn(row: ReturnType<Page['getByRole']>, label: string, names: string) {
  await row.getByRole('button', { name: label, exact: true }).click();
  await row.getByText(names).waitFor();
  await row.getByRole('button', { name: `Yes, ${label.toLowerCase()}` }).click();
}

/** The ping button of the endpoint's row, and the result it reports. */
async function ping(result: RegExp) {
  await visit('/orgs/Acme/webhooks');
  await hookRow().getByRole('button', { name: 'Send test ping' }).click();
  await hookRow().getByRole('status').filter({ hasText: result }).waitFor();
}

beforeAll(async () => {
  rx = await startReceiver();
  hookUrl = rx.url('/hooks');
  server = await startServer();
  browser = await launchChromium();
  ({ page, complaints } = await signedInAtAcmeShop(browser, server.url, 'ada@example.com'));
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rx?.close();
});

describe('dashboard: webhooks', { timeout: 120_000 }, () => {
  it('creates an endpoint with picked events (a bad URL gets the API error); the secret is shown once', async () => {
    await visit('/orgs/Acme/webhooks');
    const form = page.getByRole('region', { name: 'New endpoint' });
    const create = form.getByRole('button', { name: 'Create endpoint' });
    await form.getByLabel('Endpoint URL').fill('ftp://example.com/hooks');
    expect(await create.isDisabled()).toBe(true);
    await form.getByLabel('api_key.created', { exact: true }).check();
    await create.click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('http(s) URL');
    expect(await alert.textContent()).toContain('Error code: INVALID_INPUT');
    expect(((await ok('GET', '/api/v1/orgs/Acme/webhooks')).items as unknown[]).length).toBe(0);

    await form.getByLabel('Endpoint URL').fill(hookUrl);
    await form.getByLabel('member.added', { exact: true }).check();
    await create.click();
    await page.getByText(`Copy the signing secret of ${hookUrl} now`).waitFor();
    const secret = await shownOnce();
    expect(secret).toMatch(/^whsec_/);
    secrets.push(secret);
    rx.trust('/hooks', secret);

    const row = hookRow();
    await row.getByRole('cell', { name: 'enabled', exact: true }).waitFor();
    await row.getByText('api_key.created').waitFor();
    await row.getByText('member.added').waitFor();
    await row.getByText('none yet').waitFor();
    const [listed] = (await ok('GET', '/api/v1/orgs/Acme/webhooks')).items as {
      url: string;
      events: string[];
    }[];
    expect(listed?.url).toBe(hookUrl);
    expect([...(listed?.events ?? [])].sort()).toEqual(['api_key.created', 'member.added']);
    expect(JSON.stringify(listed)).not.toContain(secret);
    await checkPage(page, 'webhooks');
  });

  it('sends a test ping: the receiver gets a Standard Webhooks signed delivery, the page says how it went', async () => {
    await ping(/Ping delivered to .*: HTTP 200/);
    const [got] = rx.at('/hooks');
    expect(got?.verified).toBe(true);
    expect(got?.headers['webhook-signature']).toMatch(/^v1,/);
    // Checked here too, with the package itself: the body is the ping and the id its header's.
    const event = new Webhook(secrets[0]!).verify(got!.body, got!.headers as Record<string, string>) as {
      type: string;
    };
    expect(event.type).toBe('ping');
    await hookRow().getByRole('link', { name: 'delivered' }).waitFor();
  });

  it('edits the events, disables and enables the endpoint', async () => {
    await hookRow().getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('region', { name: `Edit ${hookUrl}` });
    await edit.getByLabel('member.added', { exact: true }).uncheck();
    await edit.getByLabel('release.created', { exact: true }).check();
    await edit.getByLabel(/^Enabled/).uncheck();
    await edit.getByRole('button', { name: `Save ${hookUrl}` }).click();
    await hookRow().getByText('disabled', { exact: true }).waitFor();
    await hookRow().getByText('release.created').waitFor();
    expect(await hookRow().getByText('member.added').count()).toBe(0);
    const [changed] = (await ok('GET', '/api/v1/orgs/Acme/webhooks')).items as {
      events: string[];
      enabled: boolean;
    }[];
    expect(changed?.enabled).toBe(false);
    expect([...(changed?.events ?? [])].sort()).toEqual(['api_key.created', 'release.created']);

    await hookRow().getByRole('button', { name: 'Edit', exact: true }).click();
    await edit.getByLabel(/^Enabled/).check();
    await edit.getByRole('button', { name: `Save ${hookUrl}` }).click();
    await hookRow().getByRole('cell', { name: 'enabled', exact: true }).waitFor();
  });

  it('rotates the secret: the new one shown once, both sign deliveries for 24 hours', async () => {
    await confirmIn(hookRow(), 'Rotate secret', 'both sign deliveries for 24 hours');
    await page.getByText(`Copy the new signing secret of ${hookUrl} now`).waitFor();
    await page.getByText('Both secrets sign each delivery').waitFor();
    const fresh = await shownOnce();
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secrets[0]);
    secrets.push(fresh);
    await hookRow()
      .getByText(/old secret signs until/)
      .waitFor();
    rx.trust('/hooks', fresh);
    await ping(/Ping delivered/);
    const got = rx.at('/hooks').at(-1)!;
    expect(got.verified).toBe(true);
    // The old secret still verifies it: the delivery carries a signature of each.
    expect(() =>
      new Webhook(secrets[0]!).verify(got.body, got.headers as Record<string, string>),
    ).not.toThrow();
  });
});

describe('dashboard: effects', { timeout: 120_000 }, () => {
  it('shows failing and dead deliveries: counts, latest failures with HTTP status and error', async () => {
    // The webhook receiver fails and asks to be left alone for an hour: the ping waits, failing.
    rx.answer('/hooks', { status: 500, retryAfter: '3600', body: 'receiver broken' });
    await ping(/Ping failed: HTTP 500/);
    // An app's callback with one attempt only: dead at its first failure.
    rx.answer('/app', { status: 503, body: 'down for maintenance' });
    const enqueued = await apiIn(page, 'POST', '/api/v1/orgs/Acme/projects/shop/effects', {
      url: rx.url('/app'),
      payload: { order: 42 },
      retry: { maxAttempts: 1 },
      environment: 'production',
    });
    expect(enqueued.status, JSON.stringify(enqueued.json)).toBe(202);
    await waitFor('the app effect to die', async () => (await effects('&state=dead')).length === 1, SLOW);

    await visit('/orgs/Acme/effects');
    const status = page.getByRole('region', { name: 'Status' });
    const count = (state: string) =>
      status.locator('dl.stats > div').filter({ hasText: state }).locator('dd');
    await count('dead').filter({ hasText: /^1$/ }).waitFor();
    await count('failed, retrying').filter({ hasText: /^1$/ }).waitFor();
    const failure = (url: string) => status.getByRole('row').filter({ hasText: url });
    await failure(rx.url('/app')).getByRole('cell', { name: '503', exact: true }).waitFor();
    await failure(hookUrl).getByRole('cell', { name: '500', exact: true }).waitFor();
    await failure(hookUrl).getByRole('cell', { name: 'HTTP 500', exact: true }).waitFor();
    await checkPage(page, 'effects');

    // Only production's: the app's callback, not the org's webhook.
    await page.getByLabel('Environment (all when empty)').fill('production');
    await page.getByRole('button', { name: 'Filter' }).click();
    const scoped = page.getByRole('region', { name: 'Status in production' });
    await scoped
      .getByRole('row')
      .filter({ hasText: rx.url('/app') })
      .waitFor();
    expect(await scoped.getByRole('row').filter({ hasText: hookUrl }).count()).toBe(0);
    const list = page.getByRole('region', { name: 'Deliveries' });
    await list
      .getByRole('row')
      .filter({ hasText: rx.url('/app') })
      .waitFor();
    // The list keeps its rows until the filtered page arrives: wait for the webhook's to go.
    await list.getByRole('row').filter({ hasText: hookUrl }).waitFor({ state: 'detached' });
  });

  it("a dead effect's attempts, retried after the receiver recovers: delivered", async () => {
    await visit('/orgs/Acme/effects');
    await page.getByLabel('State').selectOption('dead');
    await page.getByRole('button', { name: 'Filter' }).click();
    const list = page.getByRole('region', { name: 'Deliveries' });
    const row = list.getByRole('row').filter({ hasText: rx.url('/app') });
    await row.getByRole('cell', { name: 'dead', exact: true }).waitFor();
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: /^Effect eff_/ }).waitFor();
    const attempts = page.getByRole('region', { name: 'Attempts' });
    const first = attempts.getByRole('row').filter({ hasText: 'down for maintenance' });
    await first.getByRole('cell', { name: '503', exact: true }).waitFor();
    expect(await page.getByTestId('effect-state').textContent()).toBe('dead');
    await checkPage(page, 'effect-detail');

    // The receiver answers 200 again (its script is used up).
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await page.getByText(/is due now/).waitFor();
    await page
      .getByTestId('effect-state')
      .filter({ hasText: /^delivered$/ })
      .waitFor();
    await attempts
      .getByRole('row')
      .filter({ hasText: /^2/ })
      .getByRole('cell', { name: '200', exact: true })
      .waitFor();
    expect(rx.at('/app')).toHaveLength(2);
    expect(JSON.parse(rx.at('/app')[1]!.body)).toEqual({ order: 42 });
  });

  it('retries the failing webhook from the list: delivered, signed', async () => {
    const before = rx.at('/hooks').length;
    await visit('/orgs/Acme/effects');
    await page.getByLabel('State').selectOption('retrying');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page
      .getByRole('region', { name: 'Deliveries' })
      .getByRole('row')
      .filter({ hasText: hookUrl });
    await row.getByRole('button', { name: 'Retry', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /is due now/ })
      .waitFor();
    await waitFor('the retried ping', () => rx.at('/hooks').length > before, SLOW);
    const got = rx.at('/hooks').at(-1)!;
    expect(got.verified).toBe(true);
    await waitFor('delivered', async () => (await effects('&state=retrying')).length === 0, SLOW);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('No effects match.').waitFor();
  });

  it('cancels a failing delivery, naming it in the confirmation', async () => {
    rx.answer('/hooks', { status: 500, retryAfter: '3600' });
    await ping(/Ping failed: HTTP 500/);
    const [waiting] = await effects('&state=retrying');
    expect(waiting).toBeDefined();
    await visit('/orgs/Acme/effects');
    await page.getByLabel('State').selectOption('retrying');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page
      .getByRole('region', { name: 'Deliveries' })
      .getByRole('row')
      .filter({ hasText: hookUrl });
    await confirmIn(row, 'Cancel delivery', `Cancel ${waiting!.id} (ping to ${hookUrl})?`);
    await page.getByText(`${waiting!.id} is cancelled.`).waitFor();
    await page.getByText('No effects match.').waitFor();
    const shown = await ok('GET', `/api/v1/orgs/Acme/effects/${waiting!.id}`);
    expect(shown.state).toBe('cancelled');
  });

  it('replays everything the endpoint was sent in the last hour: says how many, same webhook-ids', async () => {
    const sent = (await effects()).filter((e) => e.endpointId !== null);
    const messages = new Set(sent.map((e) => e.messageId));
    expect(messages.size).toBe(4);
    const before = rx.at('/hooks').length;
    await visit('/orgs/Acme/effects');
    const replay = page.getByRole('region', { name: 'Replay' });
    await replay.getByLabel('Endpoint to replay').selectOption({ label: hookUrl });
    await replay.getByLabel('Since').selectOption('1h');
    // By keyboard: from the window to the button, and the question takes focus on its safe answer.
    await replay.getByLabel('Since').focus();
    await tabTo(page, 'section[aria-label="Replay"] button.danger');
    await page.keyboard.press('Enter');
    await replay.getByText(`Send again everything ${hookUrl} was sent in the last hour?`).waitFor();
    await waitFor(
      'the question to take focus',
      () => page.evaluate(() => document.activeElement?.textContent === 'Cancel'),
      SLOW,
    );
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Yes, replay');
    await page.keyboard.press('Enter');
    await replay
      .getByRole('status')
      .filter({ hasText: `4 deliveries enqueued again for ${hookUrl} (the last hour).` })
      .waitFor();
    await waitFor('the replayed deliveries', () => rx.at('/hooks').length >= before + 4, SLOW);
    const replayed = rx.at('/hooks').slice(before);
    expect(replayed.every((r) => r.verified)).toBe(true);
    expect(new Set(replayed.map((r) => r.headers['webhook-id']))).toEqual(messages);
    await checkPage(page, 'effects-replayed');
  });

  it('deletes the endpoint, naming its URL', async () => {
    await visit('/orgs/Acme/webhooks');
    await confirmIn(hookRow(), 'Delete', `Delete the webhook endpoint ${hookUrl}?`);
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect(((await ok('GET', '/api/v1/orgs/Acme/webhooks')).items as unknown[]).length).toBe(0);
  });
});

describe('dashboard: what a viewer is offered', { timeout: 120_000 }, () => {
  it('a viewer sees endpoints and effects, with no create, ping, rotate, delete, retry or replay', async () => {
    // Bob's org Beta, with an endpoint, where Ada is only a viewer.
    const bob = await launchChromium();
    try {
      const bobPage = await bob.newPage();
      await devSignIn(bobPage, server.url, 'bob@example.com');
      expect((await apiIn(bobPage, 'POST', '/api/v1/orgs', { name: 'Beta' })).status).toBe(201);
      const made = await apiIn(bobPage, 'POST', '/api/v1/orgs/Beta/webhooks', {
        url: rx.url('/beta'),
        events: ['member.added'],
      });
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      const invited = await apiIn(bobPage, 'POST', '/api/v1/orgs/Beta/invitations', {
        email: 'ada@example.com',
        role: 'viewer',
      });
      expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    } finally {
      await bob.close();
    }
    // Its receiver fails for now, so what Ada's joining sends waits for a retry she may not make.
    rx.answer('/beta', { status: 500, retryAfter: '3600' });
    const mine = await apiIn(page, 'GET', '/api/v1/invitations');
    const invitation = (mine.json.items as { id: string }[])[0]!;
    await ok('POST', `/api/v1/invitations/${invitation.id}/accept`);

    await waitFor(
      'the failed member.added',
      async () =>
        ((await ok('GET', '/api/v1/orgs/Beta/effects?state=retrying')).items as unknown[]).length === 1,
      SLOW,
    );
    await visit('/orgs/Beta/webhooks');
    await page.getByText('Your role cannot create webhook endpoints here (needs webhooks:write).').waitFor();
    const row = page.getByRole('row').filter({ hasText: rx.url('/beta') });
    await row.getByText('enabled', { exact: true }).waitFor();
    await row.getByText(/^failing since/).waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await page.getByLabel('Endpoint URL').count()).toBe(0);

    // Ada joining sent the endpoint member.added, which failed: she sees it, and cannot retry,
    // cancel or replay it.
    await visit('/orgs/Beta/effects');
    const list = page.getByRole('region', { name: 'Deliveries' });
    const failing = list.getByRole('row').filter({ hasText: rx.url('/beta') });
    await failing.getByText('member.added').waitFor();
    await failing.getByRole('cell', { name: 'failed, retrying' }).waitFor();
    expect(await list.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Replay' }).count()).toBe(0);
    // The one refused request was the bad URL's 400, which Chromium reports as a failed load.
    expect(complaints.filter((c) => !/status of 400/.test(c))).toEqual([]);
  });

  it('a viewer sees secret names only: no set, reveal, history, unset or rollback', async () => {
    const bob = await launchChromium();
    const env = '/api/v1/orgs/Beta/projects/till/environments/production';
    try {
      const bobPage = await bob.newPage();
      await devSignIn(bobPage, server.url, 'bob@example.com');
      const steps: [string, string, unknown][] = [
        ['POST', '/api/v1/orgs/Beta/projects', { name: 'till' }],
        ['POST', '/api/v1/orgs/Beta/projects/till/environments', { name: 'production' }],
        ['PUT', `${env}/secrets/STRIPE_KEY`, { value: 'sk_beta_one' }],
        ['POST', `${env}/deploy`, { message: 'first' }],
        ['PUT', `${env}/secrets/STRIPE_KEY`, { value: 'sk_beta_two' }],
        ['POST', `${env}/deploy`, { message: 'second' }],
      ];
      for (const [method, path, body] of steps) {
        const res = await apiIn(bobPage, method, path, body);
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
      }
    } finally {
      await bob.close();
    }
    await visit('/orgs/Beta/projects/till/env/production');
    const row = page.getByRole('row').filter({ hasText: 'STRIPE_KEY' });
    await row.getByText('live', { exact: true }).waitFor();
    await page
      .getByText(
        'Your role cannot set secrets here (needs secrets:write); values and history need secrets:read.',
      )
      .waitFor();
    await page.getByText('(current)').waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Set secret' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Roll back to v1' }).count()).toBe(0);
    expect(await page.content()).not.toContain('sk_beta');
    await checkPage(page, 'secrets-viewer');
  });
});
