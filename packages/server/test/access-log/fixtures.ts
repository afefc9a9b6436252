import { sql } from 'drizzle-orm';
import type { TestApp } from '../helpers/app.js';

export type AccessRowView = {
  action: string;
  actor_type: string;
  actor_id: string | null;
  actor_label: string | null;
  project: string | null;
  environment: string | null;
  names: string[];
  data: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
};

/** Every stored access entry of an org, oldest first, straight from the table. */
export async function accessRows(t: TestApp, orgId: string): Promise<AccessRowView[]> {
  const res = await t.database.db.execute(
    sql`SELECT action, actor_type, actor_id, actor_label, project, environment, names, data, ip, request_id
        FROM access_events WHERE org_id = ${orgId} ORDER BY id`,
  );
  return res.rows as AccessRowView[];
}

/** The whole table as text (every column of every org): where a secret value must never appear. */
export async function accessTableText(t: TestApp): Promise<string> {
  const res = await t.database.db.execute(sql`SELECT * FROM access_events`);
  return JSON.stringify(res.rows);
}
