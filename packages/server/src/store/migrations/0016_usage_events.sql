-- Usage events and the environment log (issue 12, items 3 and 4).
--
-- usage_events: one row per verification outcome an app SDK reported (or, from SDKs that only
-- send counts, one row standing for `count` outcomes). Append-only and written in batches (one
-- INSERT … SELECT FROM unnest per report); old rows go by the retention job
-- (LATCH_USAGE_RETENTION), which deletes by `at` through the BRIN index in bounded chunks.
--
-- Log position: `latch logs --tail` merges usage rows and audit rows into one stream whose event
-- ids must survive a server restart and be the same on every node. A sequence alone is not enough
-- (a row with a smaller number can commit after a reader went past it), so every row also keeps
-- the id of the transaction that wrote it (xid8). A reader only takes rows whose transaction is
-- older than its snapshot's xmin (finished for sure) and orders them by (xid, source, id): nothing
-- can later appear before a position already handed out.
CREATE TABLE usage_events (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  xid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
  at              timestamptz NOT NULL,
  org_id          text NOT NULL,
  project_id      text NOT NULL,
  environment_id  text NOT NULL,
  key_id          text NOT NULL,
  -- Copied at ingestion: the log still names a key after it was deleted.
  key_name        text NOT NULL,
  route           text,
  outcome         text NOT NULL,
  latency_ms      real NOT NULL,
  count           integer NOT NULL DEFAULT 1 CHECK (count > 0),
  client_addr     text
);
-- No foreign keys: the table is written at volume and outlives keys; rows of a deleted
-- environment are unreachable (every read joins the environment) and age out with retention.
CREATE INDEX usage_events_env_pos ON usage_events (environment_id, xid, id);
CREATE INDEX usage_events_at ON usage_events USING brin (at);
CREATE INDEX usage_events_env_at ON usage_events (environment_id, at);

ALTER TABLE audit_events ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX audit_events_org_log ON audit_events (org_id, log_xid, id);
