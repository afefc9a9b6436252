import { describe, expect, it } from 'vitest';
import { run as removeMember } from '../src/commands/team/remove.js';
import { ConfigStore } from '../src/lib/config.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { patToken, startFakeApi, tempDir, testIo } from './helpers.js';

async function refusal(p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

describe('confirmation', () => {
  it('without a terminal fails with exit 2 and says to add --yes', async () => {
    const io = testIo({}, { isTTY: false });
    const err = await refusal(io.confirm('Delete everything?'));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toContain('--yes');
    expect(err.message).toContain('no terminal');
  });

  it('with CI set never prompts, even on a terminal', async () => {
    let asked = false;
    const ask = async () => {
      asked = true;
      return true;
    };
    const io = testIo({}, { isTTY: true, env: { CI: 'true' }, ask });
    const err = await refusal(io.confirm('Delete everything?'));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('CI is set');
    expect(asked).toBe(false);
  });

  it('--yes skips the question', async () => {
    const io = testIo({ yes: true }, { isTTY: false });
    await expect(io.confirm('Delete everything?')).resolves.toBeUndefined();
  });

  it('on a terminal asks; "no" or Ctrl-C is a cancellation (exit 2)', async () => {
    const yes = testIo({}, { isTTY: true, ask: async () => true });
    await expect(yes.confirm('Go?')).resolves.toBeUndefined();
    const no = testIo({}, { isTTY: true, ask: async () => false });
    expect((await refusal(no.confirm('Go?'))).exitCode).toBe(EXIT.usage);
    const cancelled = testIo({}, { isTTY: true, ask: async () => null });
    expect((await refusal(cancelled.confirm('Go?'))).code).toBe('CANCELLED');
  });

  it('a destructive command without --yes and without a terminal changes nothing', async () => {
    const bo = {
      userId: 'usr_bo',
      email: 'bo@example.com',
      name: null,
      role: 'developer',
      joinedAt: '2026-01-01T00:00:00.000Z',
    };
    const api = await startFakeApi((req) =>
      req.method === 'GET' ? { body: { items: [bo], nextCursor: null } } : { status: 200, body: bo },
    );
    try {
      const dir = tempDir();
      new ConfigStore(dir).update({
        apiUrl: api.url,
        token: patToken(),
        activeOrg: { id: 'org_1', name: 'acme' },
      });
      const io = testIo({}, { configDir: dir });
      const err = await refusal(removeMember({ member: 'bo@example.com' }, io));
      expect(err.exitCode).toBe(EXIT.usage);
      expect(err.message).toContain('Remove bo@example.com (developer) from acme?');
      expect(api.seen.filter((s) => s.method !== 'GET')).toHaveLength(0);
    } finally {
      await api.close();
    }
  });
});
