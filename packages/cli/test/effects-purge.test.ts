import { describe, expect, it } from 'vitest';
import { run as purge } from '../src/commands/effects/purge.js';
import { ConfigStore } from '../src/lib/config.js';
import { patToken, startFakeApi, tempDir, testIo } from './helpers.js';

describe('latch effects purge', () => {
  it('counts first, asks naming the count on a terminal, then purges; "no" deletes nothing', async () => {
    const api = await startFakeApi((req) => ({
      status: 200,
      body: { count: 3, dryRun: Boolean((req.json as { dryRun?: boolean }).dryRun) },
    }));
    try {
      const dir = tempDir();
      new ConfigStore(dir).update({
        apiUrl: api.url,
        token: patToken(),
        activeOrg: { id: 'org_1', name: 'acme' },
      });
      const questions: string[] = [];
      const no = testIo(
        {},
        {
          configDir: dir,
          isTTY: true,
          ask: async (q: string) => {
            questions.push(q);
            return false;
          },
        },
      );
      await expect(purge({ state: 'dead', olderThan: '7d' }, no)).rejects.toThrow();
      expect(questions[0]).toContain('Delete 3 dead effects last updated over 7d ago in acme');
      expect(api.seen.map((s) => (s.json as { dryRun?: boolean }).dryRun)).toEqual([true]);
      const yes = testIo({}, { configDir: dir, isTTY: true, ask: async () => true });
      await purge({ state: 'dead', olderThan: '7d', endpoint: 'whe_1' }, yes);
      const last = api.seen.at(-1)!;
      expect(last.path).toBe('/api/v1/orgs/org_1/effects/purge');
      expect(last.json).toEqual({ state: 'dead', olderThan: '7d', endpoint: 'whe_1' });
    } finally {
      await api.close();
    }
  });

  it('needs --state and --older-than', async () => {
    const io = testIo({}, { isTTY: false });
    await expect(purge({ olderThan: '7d' }, io)).rejects.toThrow(/--state/);
    await expect(purge({ state: 'dead' }, io)).rejects.toThrow(/--older-than/);
  });
});
