import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';

const test = useTestDatabase();
const q = (text: string, values: unknown[] = []) => test.database.pool.query(text, values);

async function newKey(n: number): Promise<string> {
  const [org, project, env, key] = [`org_t${n}`, `prj_t${n}`, `env_t${n}`, `ak_t${n}`];
  await q('INSERT INTO orgs (id, name) VALUES ($1, $1)', [org]);
  await q(`INSERT INTO projects (id, org_id, name, key_prefix) VALUES ($1, $2, 'app', $3)`, [
    project,
    org,
    `t${n}_`,
  ]);
  await q(`INSERT INTO environments (id, org_id, project_id, name) VALUES ($1, $2, $3, 'production')`, [
    env,
    org,
    project,
  ]);
  await q(
    `INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix, created_by_type)
     VALUES ($1, $2, $3, $4, 'k', 'read', $5, 'x', 'user')`,
    [key, org, project, env, randomBytes(32)],
  );
  return key;
}

const events = async (env: string) =>
  (await q('SELECT kind FROM key_events WHERE environment_id = $1 ORDER BY id', [env])).rows.map(
    (r: { kind: string }) => r.kind,
  );

// The change trigger is column-specific so that last-used bookkeeping skips it without evaluating
// anything (migration 0029); that is only safe while it lists every other column.
describe('the API-key change trigger', () => {
  it('watches every column of api_keys except last_used_at', async () => {
    const { rows } = await q(`
      SELECT a.attname
        FROM pg_trigger t JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = ANY (t.tgattr)
       WHERE t.tgrelid = 'api_keys'::regclass AND t.tgname = 'api_keys_updated_event'`);
    const { rows: columns } = await q(`
      SELECT attname FROM pg_attribute
       WHERE attrelid = 'api_keys'::regclass AND attnum > 0 AND NOT attisdropped`);
    const watched = rows.map((r: { attname: string }) => r.attname).sort();
    const all = columns
      .map((r: { attname: string }) => r.attname)
      .filter((c: string) => c !== 'last_used_at');
    expect(watched).toEqual(all.sort());
  });

  it('logs a change to the key, and not a last-used write', async () => {
    const key = await newKey(1);
    await q('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [key]);
    expect(await events('env_t1')).toEqual([]);
    // A statement naming a watched column whose value stays the same changes nothing either.
    await q('UPDATE api_keys SET name = name, last_used_at = now() WHERE id = $1', [key]);
    expect(await events('env_t1')).toEqual([]);
    await q(`UPDATE api_keys SET name = 'renamed' WHERE id = $1`, [key]);
    await q('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [key]);
    expect(await events('env_t1')).toEqual(['updated', 'revoked']);
  });
});
