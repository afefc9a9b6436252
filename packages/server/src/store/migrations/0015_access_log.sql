-- Access log (issue 12, item 2): one row per read of sensitive data (a secret value, a release's
-- values, the audit log). Reads are far more frequent than changes, so this is its own table,
-- not the audit hash chain: an insert here takes no chain lock and no transaction of its own, and
-- readers of one org never queue behind each other. Rows carry names, never values.
CREATE TABLE access_events (
  id           bigserial PRIMARY KEY,
  org_id       text NOT NULL,
  actor_type   text NOT NULL,
  actor_id     text,
  actor_label  text,
  -- What was read: secret.read, secret.history_revealed, secrets.released, secrets.diff_revealed, …
  action       text NOT NULL,
  project      text,
  environment  text,
  -- The secret names whose values were returned (empty for reads that return no secret values).
  names        text[] NOT NULL DEFAULT '{}',
  data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip           text,
  request_id   text,
  created_at   timestamptz NOT NULL
);

-- The one index the write path pays for: listing an org's entries newest first (keyset on id).
-- Filters (since, actor, name, env) narrow that walk; a GIN index on names would make every read
-- pay for a rare query.
CREATE INDEX access_events_org_id ON access_events (org_id, id DESC);

-- Append-only: an entry is never changed. (Deleting old rows stays possible for retention.)
CREATE FUNCTION access_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access_events is append-only';
END;
$$;
CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
  FOR EACH ROW EXECUTE FUNCTION access_events_append_only();
