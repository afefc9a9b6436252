import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const owner = tempDir('team-owner');
const dev = tempDir('team-dev');
const ci = tempDir('team-ci');

const asOwner = (args: string[]) => latch(args, { configDir: owner.path });
const asDev = (args: string[]) => latch(args, { configDir: dev.path });
const withToken = (token: string, args: string[]) =>
  latch(args, { configDir: ci.path, env: { LATCH_TOKEN: token, LATCH_API_URL: server.url } });

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, owner.path, 'tess@example.com');
  await deviceLogin(server.url, dev.path, 'devi@example.com');
  for (const args of [
    ['org', 'create', 'Teamco', '--use'],
    ['team', 'invite', 'devi@example.com', '--role', 'viewer'],
  ]) {
    const res = await asOwner(args);
    expect(res.code, res.stderr).toBe(0);
  }
  const [inv] = (await asDev(['invites', 'list', '--json'])).json();
  expect((await asDev(['invites', 'accept', inv.id])).code).toBe(0);
  expect((await asDev(['org', 'use', 'teamco'])).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [owner, dev, ci]) dir.remove();
});

describe('team commands through the real latch binary', () => {
  it('whoami is auth status; members shows pending invitations; team role changes a role', async () => {
    const who = await asOwner(['whoami', '--json']);
    expect(who.code, who.stderr).toBe(0);
    expect(who.json()).toMatchObject({ signedIn: true, user: { email: 'tess@example.com' } });

    expect((await asOwner(['team', 'invite', 'later@example.com', '--role', 'developer'])).code).toBe(0);
    const members = await asOwner(['team', 'members']);
    expect(members.code, members.stderr).toBe(0);
    expect(members.stdout).toMatch(/devi@example\.com\s+.*viewer/);
    expect(members.stdout).toMatch(/later@example\.com\s+\(invited\)\s+developer/);
    const json = (await asOwner(['team', 'members', '--json'])).json();
    expect(json.invitations.map((i: { email: string }) => i.email)).toEqual(['later@example.com']);

    const bad = await asOwner(['team', 'role', 'devi@example.com', 'boss']);
    expect(bad.code).toBe(2);
    const missing = await asOwner(['team', 'role', 'nobody@example.com', 'admin']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('is not a member of Teamco');
    const role = await asOwner(['team', 'role', 'devi@example.com', 'developer', '--json']);
    expect(role.code, role.stderr).toBe(0);
    expect(role.json()).toMatchObject({ email: 'devi@example.com', role: 'developer' });
    // A developer cannot change roles: the server's answer, exit 1.
    const denied = await asDev(['team', 'role', 'tess@example.com', 'viewer']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('members:manage');
  });

  it('a missing target is reported before the question, with exit 1 rather than 2', async () => {
    for (const args of [
      ['keys', 'revoke', 'key_nope'],
      ['pats', 'revoke', 'pat_nope'],
      ['service-accounts', 'delete', 'ghost'],
      ['team', 'remove', 'ghost@example.com'],
      ['projects', 'delete', 'ghost'],
    ]) {
      const res = await asOwner(args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(1);
      expect(res.stderr).not.toContain('--yes');
    }
  });

  it('pats rotate prints a new token once; the old one is refused', async () => {
    const made = await asOwner(['pats', 'create', 'script', '--expires', '7d']);
    expect(made.code, made.stderr).toBe(0);
    const old = made.stdout.trim();
    const [pat] = (await withToken(old, ['pats', 'list', '--json']))
      .json()
      .filter((p: { name: string }) => p.name === 'script');
    const noYes = await asOwner(['pats', 'rotate', pat.id]);
    expect(noYes.code).toBe(2);
    const rotated = await asOwner(['pats', 'rotate', pat.id, '--yes']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^lk_pat_/);
    expect(fresh).not.toBe(old);
    expect((await withToken(old, ['whoami'])).code).toBe(4);
    expect((await withToken(fresh, ['whoami'])).code).toBe(0);
  });

  it('service-accounts keys rotate: both secrets work for the grace period; 0 ends the old at once', async () => {
    expect((await asOwner(['service-accounts', 'create', 'bot', '--role', 'developer'])).code).toBe(0);
    const first = (await asOwner(['service-accounts', 'keys', 'create', 'bot'])).stdout.trim();
    const [key] = (await asOwner(['service-accounts', 'keys', 'list', 'bot', '--json'])).json();
    const graced = await asOwner([
      'service-accounts',
      'keys',
      'rotate',
      'bot',
      key.id,
      '--grace-period',
      '1h',
    ]);
    expect(graced.code, graced.stderr).toBe(0);
    const second = graced.stdout.trim();
    for (const token of [first, second]) expect((await withToken(token, ['projects', 'list'])).code).toBe(0);
    const now = await asOwner([
      'service-accounts',
      'keys',
      'rotate',
      'bot',
      key.id,
      '--grace-period',
      '0',
      '--json',
      '--yes',
    ]);
    expect(now.code, now.stderr).toBe(0);
    const third = now.json();
    expect(third).toMatchObject({ id: key.id, status: 'active', rotatingUntil: null });
    expect((await withToken(second, ['projects', 'list'])).code).toBe(4);
    expect((await withToken(third.token, ['projects', 'list'])).code).toBe(0);
  });

  it('projects delete removes the project and its environments', async () => {
    expect((await asOwner(['projects', 'create', 'doomed'])).code).toBe(0);
    expect((await asOwner(['env', 'create', 'staging', '--project', 'doomed'])).code).toBe(0);
    const refused = await asOwner(['projects', 'delete', 'doomed']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Delete project doomed in Teamco, with its environments staging');
    const deleted = await asOwner(['projects', 'delete', 'doomed', '--yes', '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.json()).toMatchObject({ name: 'doomed', environments: ['staging'] });
    expect((await asOwner(['projects', 'list', '--json'])).json()).toEqual([]);
  });

  it('org leave: refused for the last owner; a member leaves; org delete needs the owner and --yes', async () => {
    const last = await asOwner(['org', 'leave', '--yes']);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('you are its last owner');
    expect(last.stderr).toContain('latch team role <email> owner');

    const notOwner = await asDev(['org', 'delete', 'Teamco', '--yes']);
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toContain('Only an owner');

    const left = await asDev(['team', 'leave', '--yes', '--json']);
    expect(left.code, left.stderr).toBe(0);
    expect(left.json()).toMatchObject({ org: { name: 'Teamco' }, member: { email: 'devi@example.com' } });
    const devOrgs = (await asDev(['org', 'list', '--json'])).json();
    expect(devOrgs.map((o: { name: string }) => o.name)).not.toContain('Teamco');

    const noYes = await asOwner(['org', 'delete', 'teamco']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const deleted = await asOwner(['org', 'delete', 'teamco', '--yes', '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.json()).toMatchObject({ name: 'Teamco', deleted: { members: 1 } });
    const orgs = (await asOwner(['org', 'list', '--json'])).json();
    expect(orgs.map((o: { name: string }) => o.name)).not.toContain('Teamco');
  });
});
