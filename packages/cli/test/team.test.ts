import { describe, expect, it } from 'vitest';
import { run as apiKeysRevoke } from '../src/commands/api-keys/revoke.js';
import { run as envDelete } from '../src/commands/env/delete.js';
import { run as keysRevoke } from '../src/commands/keys/revoke.js';
import { run as orgDelete } from '../src/commands/org/delete.js';
import { run as orgLeave } from '../src/commands/org/leave.js';
import { run as patsRevoke } from '../src/commands/pats/revoke.js';
import { run as patsRotate } from '../src/commands/pats/rotate.js';
import { run as projectsDelete } from '../src/commands/projects/delete.js';
import { run as saDelete } from '../src/commands/service-accounts/delete.js';
import { run as saKeysRevoke } from '../src/commands/service-accounts/keys/revoke.js';
import { run as saKeysRotate } from '../src/commands/service-accounts/keys/rotate.js';
import { run as members } from '../src/commands/team/members.js';
import { run as teamRemove } from '../src/commands/team/remove.js';
import { run as teamRole } from '../src/commands/team/role.js';
import { ConfigStore } from '../src/lib/config.js';
import { EXIT } from '../src/lib/exit.js';
import {
  apiKeyOf,
  environmentOf,
  failure,
  type Handler,
  patToken,
  type Seen,
  tempDir,
  testIo,
  useFakeApi,
} from './helpers.js';

const fake = useFakeApi();

const T = '2026-01-01T00:00:00.000Z';
const page = (items: unknown[]) => ({ body: { items, nextCursor: null } });
const member = (email: string, role: string) => ({
  userId: `usr_${email.split('@')[0]}`,
  email,
  name: null,
  role,
  joinedAt: T,
});
const ORG = { id: 'org_team', name: 'Acme', personal: false, role: 'owner', createdAt: T };
const PAT = {
  id: 'pat_2',
  kind: 'pat',
  name: 'ci',
  prefix: 'lk_pat_wxyz',
  scopes: null,
  createdAt: T,
  expiresAt: '2027-01-01T00:00:00.000Z',
  lastUsedAt: null,
  status: 'active',
};
const SA = {
  id: 'sa_1',
  name: 'bot',
  role: 'developer',
  createdBy: 'ana@example.com',
  createdAt: T,
  activeKeys: 1,
};
const SA_KEY = {
  id: 'sak_1',
  kind: 'service_account_key',
  name: 'deploy',
  prefix: 'lk_sa_abcd',
  serviceAccount: { id: 'sa_1', name: 'bot' },
  createdBy: 'ana@example.com',
  createdAt: T,
  lastUsedAt: null,
  expiresAt: null,
  rotatingUntil: null,
  status: 'active',
};
const PLATFORM_KEY = {
  id: 'key_1',
  kind: 'platform_key',
  name: 'GitHub Actions',
  prefix: 'lk_key_abcd',
  scopes: ['deploy:write'],
  createdBy: 'ana@example.com',
  createdAt: T,
  lastUsedAt: null,
  expiresAt: null,
  rotatingUntil: null,
  status: 'active',
};

/** A signed-in CLI (stored login pat_1, active org Acme) against a fake; `asked` records questions. */
async function signedIn(handler: Handler, opts: { tty?: boolean; answer?: boolean; typed?: string } = {}) {
  const api = await fake(handler);
  const dir = tempDir();
  new ConfigStore(dir).update({
    apiUrl: api.url,
    token: patToken(),
    tokenId: 'pat_1',
    activeOrg: { id: 'org_team', name: 'Acme' },
  });
  const asked: string[] = [];
  const io = (globals = {}) =>
    testIo(globals, {
      configDir: dir,
      env: { LATCH_PROJECT: 'acme', NO_COLOR: '1' },
      isTTY: opts.tty ?? true,
      ask: async (q) => {
        asked.push(q);
        return opts.answer ?? true;
      },
      askText: async (q) => {
        asked.push(q);
        return opts.typed ?? '';
      },
    });
  const changes = () => api.seen.filter((s: Seen) => s.method !== 'GET');
  return { api, io, asked, dir, changes };
}

describe('check first, then ask (issue 17 item 11)', () => {
  const emptyLists: Handler = (req) => (req.method === 'GET' ? page([]) : { status: 500, body: {} });
  const cases: [
    string,
    (io: ReturnType<Awaited<ReturnType<typeof signedIn>>['io']>) => Promise<unknown>,
    string,
  ][] = [
    ['api-keys revoke', (io) => apiKeysRevoke({ id: 'ak_9' }, io), 'No API key ak_9 in acme.'],
    ['keys revoke', (io) => keysRevoke({ id: 'key_9' }, io), 'No platform key key_9 in Acme.'],
    [
      'service-accounts keys revoke',
      (io) => saKeysRevoke({ account: 'bot', keyId: 'sak_9' }, io),
      'Service account bot has no key sak_9.',
    ],
    ['pats revoke', (io) => patsRevoke({ id: 'pat_9' }, io), 'No personal access token pat_9.'],
    [
      'env delete',
      (io) => envDelete({ name: 'qa', project: 'acme' }, io),
      'No environment qa in project acme.',
    ],
    [
      'service-accounts delete',
      (io) => saDelete({ account: 'robot' }, io),
      'No service account robot in Acme.',
    ],
    [
      'team remove',
      (io) => teamRemove({ member: 'zed@example.com' }, io),
      'zed@example.com is not a member of Acme.',
    ],
    ['projects delete', (io) => projectsDelete({ name: 'ghost' }, io), 'No project ghost in Acme.'],
    ['org delete', (io) => orgDelete({ name: 'Ghost' }, io), 'You are not a member of org Ghost'],
    ['pats rotate', (io) => patsRotate({ id: 'pat_9' }, io), 'No personal access token pat_9.'],
  ];
  for (const [name, command, message] of cases) {
    it(`${name}: a missing target is said before any question, and nothing changes`, async () => {
      const { io, asked, changes } = await signedIn(emptyLists);
      const err = await failure(command(io()));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.exitCode).toBe(EXIT.error);
      expect(err.message).toContain(message);
      expect(err.hint).toBeTruthy();
      expect(asked).toEqual([]);
      expect(changes()).toEqual([]);
    });
  }

  it('the question names what it found, and a "no" sends nothing', async () => {
    const { io, asked, changes } = await signedIn(
      (req) =>
        req.path.endsWith('/service-accounts')
          ? page([SA])
          : req.path.endsWith('/keys') && req.path.includes('service-accounts')
            ? page([SA_KEY])
            : req.path.endsWith('/keys')
              ? page([PLATFORM_KEY])
              : req.path.endsWith('/api-keys')
                ? page([apiKeyOf()])
                : req.path.endsWith('/environments')
                  ? page([environmentOf('staging')])
                  : req.path === '/api/v1/pats'
                    ? page([PAT])
                    : page([member('bo@example.com', 'viewer')]),
      { answer: false },
    );
    const cancelled = async (p: Promise<unknown>) => expect((await failure(p)).code).toBe('CANCELLED');
    await cancelled(keysRevoke({ id: 'key_1' }, io()));
    await cancelled(saKeysRevoke({ account: 'bot', keyId: 'sak_1' }, io()));
    await cancelled(saDelete({ account: 'BOT' }, io()));
    await cancelled(apiKeysRevoke({ id: 'ak_1' }, io()));
    await cancelled(envDelete({ name: 'staging', project: 'acme' }, io()));
    await cancelled(patsRevoke({ id: 'pat_2' }, io()));
    await cancelled(teamRemove({ member: 'BO@example.com' }, io()));
    expect(asked).toEqual([
      'Revoke platform key GitHub Actions (lk_key_abcd…, deploy:write) in Acme? Anything using it is refused at once.',
      'Revoke key deploy (lk_sa_abcd…) of service account bot? Anything using it is refused at once.',
      'Delete service account bot (developer) in Acme? its 1 active key is revoked at once.',
      'Revoke API key Warehouse sync (acme_AbCd…) of acme/production? Apps using it are refused at once, on every server.',
      'Delete environment staging of acme, with its access manifests, secrets, releases and database (if it has one)?',
      'Revoke personal access token ci (lk_pat_wxyz…)? Anything using it is refused at once.',
      'Remove bo@example.com (viewer) from Acme? They lose access to its projects and secrets at once.',
    ]);
    expect(changes()).toEqual([]);
  });
});

describe('latch team role', () => {
  it('refuses an unknown role with exit 2 before sending anything', async () => {
    const { io, api } = await signedIn(() => page([]));
    const err = await failure(teamRole({ member: 'bo@example.com', role: 'boss' }, io()));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toContain('owner, admin, developer, viewer');
    expect(api.seen).toEqual([]);
  });

  it('changes the role of the member found by email, by user id, and prints JSON', async () => {
    const { io, api } = await signedIn((req) =>
      req.method === 'GET'
        ? page([member('bo@example.com', 'viewer')])
        : { body: member('bo@example.com', 'admin') },
    );
    const out = io({ json: true });
    await teamRole({ member: 'Bo@Example.com', role: 'Admin' }, out);
    expect(api.seen.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/orgs/org_team/members/usr_bo',
      json: { role: 'admin' },
    });
    expect(JSON.parse(out.stdoutText())).toMatchObject({ email: 'bo@example.com', role: 'admin' });
    expect(out.stderrText()).toContain('is now admin in Acme (was viewer)');
  });
});

describe('latch org leave', () => {
  it('refuses the last owner with a hint, before asking or sending', async () => {
    const { io, asked, changes } = await signedIn((req) =>
      req.path === '/api/v1/orgs/org_team' ? { body: ORG } : page([member('ana@example.com', 'owner')]),
    );
    const err = await failure(orgLeave({}, io()));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('You cannot leave Acme: you are its last owner.');
    expect(err.hint).toContain('latch team role <email> owner');
    expect(err.hint).toContain('latch org delete Acme');
    expect(asked).toEqual([]);
    expect(changes()).toEqual([]);
  });

  it('leaves after the question and forgets the active org', async () => {
    const { io, asked, api, dir } = await signedIn((req) =>
      req.path === '/api/v1/orgs/org_team'
        ? { body: { ...ORG, role: 'developer' } }
        : { body: member('ana@example.com', 'developer') },
    );
    const out = io({ json: true });
    await orgLeave({}, out);
    expect(asked).toEqual(['Leave Acme? You lose access to its projects and secrets at once.']);
    expect(api.seen.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/orgs/org_team/leave' });
    expect(JSON.parse(out.stdoutText())).toMatchObject({
      org: { name: 'Acme' },
      member: { role: 'developer' },
    });
    expect(new ConfigStore(dir).data.activeOrg).toBeNull();
  });
});

describe('latch org delete', () => {
  const handler: Handler = (req) =>
    req.path === '/api/v1/orgs' && req.method === 'GET'
      ? page([
          ORG,
          { ...ORG, id: 'org_dev', name: 'Dev', role: 'developer' },
          { ...ORG, id: 'org_me', name: 'ana', personal: true },
        ])
      : req.method === 'GET'
        ? page([{ id: 'prj_1', name: 'api', keyPrefix: 'api_', environments: ['production'], createdAt: T }])
        : { body: { ...ORG, deleted: { projects: 1, environments: 1, members: 2 } } };

  it('refuses a non-owner and a personal org before asking', async () => {
    const { io, asked, changes } = await signedIn(handler);
    expect((await failure(orgDelete({ name: 'dev' }, io()))).code).toBe('PERMISSION_DENIED');
    expect((await failure(orgDelete({ name: 'ana' }, io()))).code).toBe('CONFLICT');
    expect(asked).toEqual([]);
    expect(changes()).toEqual([]);
  });

  it('on a terminal, the org name typed wrong cancels with exit 2 and deletes nothing', async () => {
    const { io, asked, changes } = await signedIn(handler, { typed: 'acm' });
    const err = await failure(orgDelete({ name: 'Acme' }, io()));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toBe('"acm" is not Acme; nothing was changed.');
    expect(asked[0]).toContain('Delete org Acme and its 1 project (api)');
    expect(asked[0]).toContain('Type Acme to confirm');
    expect(changes()).toEqual([]);
  });

  it('deletes when the name is typed, and forgets the active org', async () => {
    const { io, api, dir } = await signedIn(handler, { typed: ' acme ' });
    const out = io();
    await orgDelete({ name: 'Acme' }, out);
    expect(api.seen.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/v1/orgs/org_team' });
    expect(out.stderrText()).toContain('Deleted org Acme (1 project, 1 environment, 2 members)');
    expect(new ConfigStore(dir).data.activeOrg).toBeNull();
  });

  it('without a terminal needs --yes (exit 2), and with it asks nothing', async () => {
    const { io, asked, changes } = await signedIn(handler, { tty: false });
    const err = await failure(orgDelete({ name: 'Acme' }, io()));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toContain('--yes');
    expect(changes()).toEqual([]);
    const out = io({ yes: true, json: true });
    await orgDelete({ name: 'Acme' }, out);
    expect(asked).toEqual([]);
    expect(JSON.parse(out.stdoutText())).toMatchObject({ name: 'Acme', deleted: { projects: 1 } });
  });
});

describe('latch projects delete', () => {
  it('names the environments in the question, then deletes by id', async () => {
    const { io, asked, api } = await signedIn((req) =>
      req.method === 'GET'
        ? page([
            {
              id: 'prj_1',
              name: 'api',
              keyPrefix: 'api_',
              environments: ['production', 'staging'],
              createdAt: T,
            },
          ])
        : {
            body: {
              id: 'prj_1',
              name: 'api',
              keyPrefix: 'api_',
              environments: ['production', 'staging'],
              createdAt: T,
              deletedApiKeys: 3,
            },
          },
    );
    const out = io();
    await projectsDelete({ name: 'API' }, out);
    expect(asked[0]).toContain('Delete project api in Acme, with its environments production, staging');
    expect(api.seen.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/v1/orgs/org_team/projects/prj_1' });
    expect(out.stderrText()).toContain('Deleted project api and 3 API keys.');
  });
});

describe('latch pats rotate', () => {
  it('prints the new token of another PAT once on stdout, after asking', async () => {
    const { io, asked, api } = await signedIn((req) =>
      req.method === 'GET' ? page([PAT]) : { body: { ...PAT, prefix: 'lk_pat_new1', token: 'lk_pat_NEW' } },
    );
    const out = io();
    await patsRotate({ id: 'pat_2' }, out);
    expect(asked).toEqual([
      'Rotate personal access token ci (lk_pat_wxyz…)? The old token stops working at once.',
    ]);
    expect(api.seen.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/pats/pat_2/rotate' });
    expect(out.stdoutText()).toBe('lk_pat_NEW\n');
  });

  it('refuses a revoked PAT before asking', async () => {
    const { io, asked, changes } = await signedIn(() => page([{ ...PAT, status: 'revoked' }]));
    expect((await failure(patsRotate({ id: 'pat_2' }, io()))).code).toBe('CONFLICT');
    expect(asked).toEqual([]);
    expect(changes()).toEqual([]);
  });

  it('rotating the stored login keeps the CLI signed in with the new token', async () => {
    const { io, dir } = await signedIn(() => ({ body: { ...PAT, id: 'pat_1', token: 'lk_pat_NEW' } }));
    const out = io();
    await patsRotate({ id: 'pat_1' }, out);
    expect(new ConfigStore(dir).data.token).toBe('lk_pat_NEW');
    expect(out.stdoutText()).toBe('');
    expect(out.stderrText()).toContain('you stay signed in');
  });
});

describe('latch service-accounts keys rotate', () => {
  it('sends the grace period and prints the new key once', async () => {
    const { io, asked, api } = await signedIn(() => ({
      body: { ...SA_KEY, status: 'rotating', rotatingUntil: '2026-01-02T00:00:00.000Z', token: 'lk_sa_NEW' },
    }));
    const out = io();
    await saKeysRotate({ account: 'bot', keyId: 'sak_1', gracePeriod: '1h' }, out);
    expect(api.seen[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/orgs/org_team/service-accounts/bot/keys/sak_1/rotate',
      json: { gracePeriod: '1h' },
    });
    expect(asked).toEqual([]);
    expect(out.stdoutText()).toBe('lk_sa_NEW\n');
    expect(out.stderrText()).toContain('The old secret keeps working until');
  });

  it('with no grace period looks the key up and asks, naming it', async () => {
    const { io, asked, changes } = await signedIn(() => page([SA_KEY]), { answer: false });
    const err = await failure(saKeysRotate({ account: 'bot', keyId: 'sak_1', gracePeriod: '0' }, io()));
    expect(err.code).toBe('CANCELLED');
    expect(asked).toEqual([
      'Rotate key deploy (lk_sa_abcd…) of bot with no grace period? The old secret stops working at once.',
    ]);
    expect(changes()).toEqual([]);
  });
});

describe('latch team members', () => {
  it('shows pending invitations after the members; --json has both', async () => {
    const invitation = {
      id: 'inv_1',
      org: { id: 'org_team', name: 'Acme' },
      email: 'cy@example.com',
      role: 'viewer',
      status: 'pending',
      invitedBy: 'ana@example.com',
      createdAt: T,
      expiresAt: '2026-01-08T00:00:00.000Z',
    };
    const { io } = await signedIn((req) =>
      req.path.endsWith('/invitations') ? page([invitation]) : page([member('ana@example.com', 'owner')]),
    );
    const human = io();
    await members({}, human);
    const lines = human.stdoutText().split('\n');
    expect(lines[1]).toContain('ana@example.com');
    expect(lines[2]).toMatch(
      /cy@example\.com\s+\(invited\)\s+viewer\s+invited 2026-01-01, expires 2026-01-08/,
    );
    const json = io({ json: true });
    await members({}, json);
    expect(JSON.parse(json.stdoutText())).toMatchObject({
      members: [{ email: 'ana@example.com' }],
      invitations: [{ id: 'inv_1', email: 'cy@example.com' }],
    });
  });
});
